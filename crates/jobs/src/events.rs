//! Webhook event fan-out: one `webhook_deliveries` row per active endpoint
//! subscribed to the event. Called inside the caller's transaction, so the
//! rows exist exactly when the change that caused them does; the caller
//! enqueues the returned ids after commit (`Queues::enqueue_webhook_deliveries`).

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use storage::models::{webhook_deliveries, webhooks};
use uuid::Uuid;

/// Event names the platform emits.
pub mod event {
    pub const DOCUMENT_PROCESSED: &str = "document.processed";
    pub const DOCUMENT_FAILED: &str = "document.failed";
    pub const CALL_COMPLETED: &str = "call.completed";
    pub const WEBHOOK_TEST: &str = "webhook.test";
}

/// Inserts the deliveries of `event` and returns their ids. The stored
/// payload is the envelope sent as the request body:
/// `{id, event, organizationId, createdAt, data}`; `id` is shared by every
/// delivery of this event so receivers can deduplicate.
pub async fn publish_event(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    event: &str,
    data: serde_json::Value,
) -> diesel::QueryResult<Vec<Uuid>> {
    let subscribers = webhooks::subscribers(conn, org, event).await?;
    if subscribers.is_empty() {
        return Ok(Vec::new());
    }
    let envelope = serde_json::json!({
        "id": Uuid::now_v7(),
        "event": event,
        "organizationId": org,
        "createdAt": Utc::now(),
        "data": data,
    });
    let rows: Vec<webhook_deliveries::NewWebhookDelivery> = subscribers
        .iter()
        .map(|hook| webhook_deliveries::NewWebhookDelivery {
            organization_id: org,
            webhook_id: hook.id,
            event: event.to_owned(),
            payload: envelope.clone(),
        })
        .collect();
    let inserted = webhook_deliveries::insert_batch(conn, &rows).await?;
    Ok(inserted.into_iter().map(|d| d.id).collect())
}
