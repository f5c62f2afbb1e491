//! `PATCH /api/webhooks/{id}`: enable or disable an endpoint. Enabling an
//! endpoint the worker disabled after repeated failures starts a fresh
//! failure count and delivers the deliveries held meanwhile.

use actix_web::{HttpResponse, patch, web};
use serde::Deserialize;
use serde_json::json;
use storage::models::{webhook_deliveries, webhooks};
use uuid::Uuid;

use super::dto::WebhookResponse;
use crate::audited::{AdminWrite, Change, audited};
use crate::error::{ApiError, Reply};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhook {
    is_active: bool,
}

/// Enables or disables an endpoint; enabling resumes its held deliveries.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)), request_body = UpdateWebhook,
    description = "Owner or admin only. `isActive: true` on an endpoint disabled after repeated failures resets its failure count and delivers what was held.",
    responses((status = 200, body = WebhookResponse, description = "The endpoint as it is now"),
    (status = 403), (status = 404)))]
#[patch("/{id}")]
pub async fn update(
    AdminWrite { state, auth, meta }: AdminWrite,
    id: web::Path<Uuid>,
    body: web::Json<UpdateWebhook>,
) -> Reply {
    let (org, id, active) = (auth.organization_id, id.into_inner(), body.is_active);
    let (row, resumed) = audited(&state, &auth, &meta, &[], move |c| {
        Box::pin(async move {
            let row = webhooks::set_active(c, org, id, active)
                .await?
                .ok_or_else(|| ApiError::not_found("webhook"))?;
            let resumed = if active {
                webhook_deliveries::resume_held(c, org, id).await?
            } else {
                Vec::new()
            };
            let changes = json!({ "isActive": active, "resumedDeliveries": resumed.len() });
            Ok(Change::new(
                (row, resumed),
                "webhook.updated",
                Some(id),
                changes,
            ))
        })
    })
    .await?;
    state.jobs.enqueue_webhook_deliveries(&resumed).await;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(row)))
}
