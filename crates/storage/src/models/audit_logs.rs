//! `audit_logs`: who did what to which entity, written in the transaction of
//! the change it records.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::audit_logs;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = audit_logs, check_for_backend(diesel::pg::Pg))]
pub struct AuditLog {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub changes: serde_json::Value,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_logs)]
pub struct NewAuditLog {
    pub organization_id: Uuid,
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    /// `"{entity}.{verb}"`, e.g. `agent.created`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    /// What changed; never credentials or tokens.
    pub changes: serde_json::Value,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewAuditLog) -> QueryResult<()> {
    diesel::insert_into(audit_logs::table)
        .values(new)
        .execute(conn)
        .await
        .map(drop)
}

/// Filters of `GET /api/audit-logs`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &AuditFilter,
    page: PageRequest,
) -> QueryResult<Page<AuditLog>> {
    let filtered = || {
        let mut q = audit_logs::table
            .filter(audit_logs::organization_id.eq(org))
            .into_boxed();
        if let Some(t) = &filter.entity_type {
            q = q.filter(audit_logs::entity_type.eq(t.clone()));
        }
        if let Some(id) = filter.entity_id {
            q = q.filter(audit_logs::entity_id.eq(id));
        }
        q
    };
    let rows = filtered()
        .order((audit_logs::created_at.desc(), audit_logs::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(AuditLog::as_select())
        .load(conn)
        .await?;
    let total = filtered().count().get_result(conn).await?;
    Ok(Page::new(rows, total, page))
}
