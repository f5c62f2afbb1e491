//! Audit trail of writes: handlers call `record` inside the transaction of
//! the change, so the change and its audit row commit or roll back together.

use diesel_async::AsyncPgConnection;
use storage::models::audit_logs::{self, NewAuditLog};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::request_meta::RequestMeta;

/// One audited action on one entity.
pub struct AuditEvent<'a> {
    /// `"{entity}.{verb}"`, e.g. `agent.created`.
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    /// What changed; never credentials, tokens or passwords.
    pub changes: serde_json::Value,
}

pub async fn record(
    conn: &mut AsyncPgConnection,
    who: &AuthUser,
    meta: &RequestMeta,
    event: AuditEvent<'_>,
) -> diesel::QueryResult<()> {
    audit_logs::insert(
        conn,
        &NewAuditLog {
            organization_id: who.organization_id,
            user_id: who.user_id,
            api_key_id: who.api_key_id,
            action: event.action.to_owned(),
            entity_type: event.entity_type.to_owned(),
            entity_id: event.entity_id,
            changes: event.changes,
            ip: meta.ip.clone(),
            request_id: meta.request_id.clone(),
        },
    )
    .await
}
