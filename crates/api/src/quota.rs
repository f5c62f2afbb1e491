//! Per-organization storage quotas: documents (count and bytes) and
//! knowledge-base text (bytes). Each limit is the organization's own column
//! when set, else the deployment default from the configuration. Past one,
//! the write answers 403 `quota_exceeded` naming the quota, its limit and
//! the usage. Checks run under the organization's row lock, inside the
//! write's transaction, so parallel writes cannot together overshoot.

use diesel_async::AsyncPgConnection;
use serde_json::json;
use storage::models::organizations::{self, Organization};
use storage::models::usage;
use uuid::Uuid;

use crate::config::ServerConfig;
use crate::error::{ApiError, ApiResult};

struct Limits {
    documents: i64,
    document_bytes: i64,
    knowledge_base_bytes: i64,
}

impl Limits {
    fn of(org: &Organization, config: &ServerConfig) -> Self {
        Self {
            documents: org
                .max_documents
                .map_or(config.org_max_documents, i64::from),
            document_bytes: org
                .max_document_bytes
                .unwrap_or(config.org_max_document_bytes),
            knowledge_base_bytes: org
                .max_knowledge_base_bytes
                .unwrap_or(config.org_max_knowledge_base_bytes),
        }
    }
}

fn exceeded(quota: &str, limit: i64, used: i64) -> ApiError {
    ApiError::forbidden(
        "quota_exceeded",
        format!("the organization's {quota} quota would be exceeded"),
    )
    .with_details(json!({ "quota": quota, "limit": limit, "used": used }))
}

/// 403 unless one more document of `bytes` fits. Locks the organization
/// row until the caller's transaction ends.
pub async fn check_upload(
    conn: &mut AsyncPgConnection,
    config: &ServerConfig,
    org: Uuid,
    bytes: i64,
) -> ApiResult<()> {
    let limits = Limits::of(&organizations::find_for_update(conn, org).await?, config);
    let (count, stored) = usage::documents(conn, org).await?;
    if count >= limits.documents {
        return Err(exceeded("documents", limits.documents, count));
    }
    if stored.saturating_add(bytes) > limits.document_bytes {
        return Err(exceeded("documentBytes", limits.document_bytes, stored));
    }
    Ok(())
}

/// 403 unless knowledge-base text of `bytes` fits, in place of entry
/// `replacing` when given. Locks the organization row like `check_upload`.
pub async fn check_knowledge_base(
    conn: &mut AsyncPgConnection,
    config: &ServerConfig,
    org: Uuid,
    bytes: i64,
    replacing: Option<Uuid>,
) -> ApiResult<()> {
    let limits = Limits::of(&organizations::find_for_update(conn, org).await?, config);
    let stored = usage::knowledge_base_bytes(conn, org, replacing).await?;
    if stored.saturating_add(bytes) > limits.knowledge_base_bytes {
        return Err(exceeded(
            "knowledgeBaseBytes",
            limits.knowledge_base_bytes,
            stored,
        ));
    }
    Ok(())
}
