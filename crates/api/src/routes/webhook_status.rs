//! `PATCH /api/webhooks/{id}`: enable or disable an endpoint. Enabling an
//! endpoint the worker disabled after repeated failures starts a fresh
//! failure count and delivers the deliveries held meanwhile.

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use serde_json::json;
use storage::models::{webhook_deliveries, webhooks};
use uuid::Uuid;

use super::webhooks::WebhookResponse;
use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhook {
    is_active: bool,
}

/// Enables or disables an endpoint; enabling resumes its held deliveries.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    request_body = UpdateWebhook,
    description = "Owner or admin only. `isActive: true` on an endpoint disabled after repeated failures resets its failure count and delivers what was held.",
    responses((status = 200, body = WebhookResponse, description = "The endpoint as it is now"),
        (status = 400, description = "Malformed body"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an owner or admin"), (status = 404, description = "No such endpoint"),
        (status = 415, description = "Not JSON"), (status = 422, description = "Invalid fields")))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: web::Json<UpdateWebhook>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (org, id, active) = (auth.organization_id, id.into_inner(), body.is_active);
    let mut conn = state.db.get().await?;
    let (row, resumed) = conn
        .transaction::<_, ApiError, _>(async |c| {
            let row = webhooks::set_active(c, org, id, active)
                .await?
                .ok_or_else(|| ApiError::not_found("webhook"))?;
            let resumed = if active {
                webhook_deliveries::resume_held(c, org, id).await?
            } else {
                Vec::new()
            };
            let event = AuditEvent {
                action: "webhook.updated",
                entity_type: "webhook",
                entity_id: Some(id),
                changes: json!({ "isActive": active, "resumedDeliveries": resumed.len() }),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok((row, resumed))
        })
        .await?;
    state.jobs.enqueue_webhook_deliveries(&resumed).await;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(row)))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(update), components(schemas(UpdateWebhook)))]
pub struct Doc;
