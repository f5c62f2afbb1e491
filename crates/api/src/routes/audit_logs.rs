//! The audit trail of the organization, for owners and admins.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use storage::models::audit_logs::{self, AuditFilter, AuditLog};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::Reply;
use crate::input::{FieldErrors, PageQuery, PageResponse, Paging, TextRule};

/// Entity types are short words (user, api_key, agent).
const ENTITY_TYPE: TextRule = TextRule::line(100);

crate::wire_rule!(
    /// An entity type to filter by: one line, or blank for none.
    EntityType,
    crate::input::schema::line_or_blank(ENTITY_TYPE.max_chars())
);
use crate::state::State;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_logs);
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogResponse {
    id: Uuid,
    /// The acting user (for an API key, its creator).
    user_id: Option<Uuid>,
    api_key_id: Option<Uuid>,
    /// `{entity}.{verb}`, e.g. `user.role_changed`.
    action: String,
    entity_type: String,
    entity_id: Option<Uuid>,
    changes: serde_json::Value,
    ip: Option<String>,
    request_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<AuditLog> for AuditLogResponse {
    fn from(a: AuditLog) -> Self {
        Self {
            id: a.id,
            user_id: a.user_id,
            api_key_id: a.api_key_id,
            action: a.action,
            entity_type: a.entity_type,
            entity_id: a.entity_id,
            changes: a.changes,
            ip: a.ip,
            request_id: a.request_id,
            created_at: a.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct AuditQuery {
    /// e.g. user, api_key, agent.
    #[param(value_type = Option<EntityType>, inline)]
    entity_type: Option<String>,
    entity_id: Option<Uuid>,
}

/// Audit rows of the organization, newest first (owner/admin).
#[utoipa::path(tag = "team", params(PageQuery, AuditQuery),
    responses((status = 200, body = PageResponse<AuditLogResponse>), (status = 403)))]
#[get("")]
pub async fn list_audit_logs(
    state: State,
    auth: AuthUser,
    Paging(page): Paging,
    filter: web::Query<AuditQuery>,
) -> Reply {
    auth.require_admin()?;
    let AuditQuery {
        entity_type,
        entity_id,
    } = filter.into_inner();
    let mut errors = FieldErrors::default();
    let entity_type = errors.text("entityType", entity_type, ENTITY_TYPE.blank_ok());
    errors.finish()?;
    let filter = AuditFilter {
        entity_type: entity_type.filter(|t| !t.is_empty()),
        entity_id,
    };
    let logs = audit_logs::list(
        &mut *state.db.read(auth.organization_id).await?,
        auth.organization_id,
        &filter,
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(logs, AuditLogResponse::from)))
}
