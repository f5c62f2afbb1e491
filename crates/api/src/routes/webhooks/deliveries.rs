//! An endpoint's delivery history and its test event.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use jobs::{EventKind, outbox};
use serde::Serialize;
use serde_json::{Value, json};
use storage::models::webhook_deliveries::{self, NewWebhookDelivery, WebhookDelivery};
use storage::models::webhooks::{self};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, OrNotFound, Reply};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;

/// One attempt history of one event sent to one endpoint.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    pub(super) id: Uuid,
    pub(super) webhook_id: Uuid,
    pub(super) event: String,
    /// The request body sent: `{id, event, organizationId, createdAt, data}`.
    #[schema(value_type = Object)]
    pub(super) payload: Value,
    /// pending, delivering, succeeded, failed (will retry) or dead.
    pub(super) status: String,
    pub(super) attempts: i32,
    /// HTTP status of the last attempt, if the endpoint answered.
    pub(super) response_status: Option<i32>,
    pub(super) last_error: Option<String>,
    pub(super) next_attempt_at: DateTime<Utc>,
    pub(super) delivered_at: Option<DateTime<Utc>>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

impl From<WebhookDelivery> for DeliveryResponse {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event,
            payload: d.payload,
            status: d.status,
            attempts: d.attempts,
            response_status: d.response_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TestQueued {
    pub(super) delivery_id: Uuid,
}

/// Deliveries of one endpoint, newest first, with each one's last attempt.
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path), PageQuery),
    description = "Owner or admin only; members get 403. Unknown and other organizations' ids answer 404.",
    responses((status = 200, body = PageResponse<DeliveryResponse>), (status = 403), (status = 404)))]
#[get("/{id}/deliveries")]
pub async fn deliveries(
    state: State,
    auth: AuthUser,
    id: web::Path<Uuid>,
    Paging(page): Paging,
) -> Reply {
    auth.require_admin()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    // Primary: the worker updates attempts while operators watch them.
    let mut conn = state.db.get().await?;
    webhooks::find(&mut conn, org, id)
        .await
        .or_not_found("webhook")?;
    let rows = webhook_deliveries::list_for_webhook(&mut conn, org, id, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, DeliveryResponse::from)))
}

/// Sends a `webhook.test` event to one endpoint (whatever it subscribes to).
#[utoipa::path(tag = "webhooks", params(("id" = Uuid, Path)),
    description = "Queues a signed `webhook.test` delivery to this endpoint and answers its id; follow it \
                   in `/api/webhooks/{id}/deliveries`. Owner or admin only; members get 403; unknown and \
                   other organizations' ids answer 404.",
    responses((status = 202, body = TestQueued), (status = 403), (status = 404)))]
#[post("/{id}/test")]
pub async fn test(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
    auth.require_admin()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    let mut conn = state.db.get().await?;
    let hook = webhooks::find(&mut conn, org, id)
        .await
        .or_not_found("webhook")?;
    let data = json!({ "webhookId": hook.id, "message": "Test delivery from EchoSenseiX" });
    let row = NewWebhookDelivery {
        organization_id: org,
        webhook_id: hook.id,
        event: EventKind::WebhookTest.name().into(),
        payload: outbox::envelope(EventKind::WebhookTest, org, &data),
    };
    let inserted = webhook_deliveries::insert_batch(&mut conn, &[row]).await?;
    drop(conn);
    let delivery = inserted
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("test delivery not inserted")))?;
    state.jobs.enqueue_webhook_delivery(delivery.id).await;
    Ok(HttpResponse::Accepted().json(TestQueued {
        delivery_id: delivery.id,
    }))
}
