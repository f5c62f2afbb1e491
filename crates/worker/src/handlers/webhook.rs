//! webhook-delivery: POST the event to the endpoint, signed, and record the
//! attempt. Signature: `X-EchoSenseiX-Signature: sha256=<hex HMAC-SHA256 of
//! "{timestamp}.{body}">` with the endpoint's secret, and
//! `X-EchoSenseiX-Timestamp: <unix seconds>`.

use chrono::Utc;
use diesel_async::AsyncConnection;
use hmac::{Hmac, Mac};
use jobs::{Queue, WebhookJob};
use serde_json::json;
use sha2::Sha256;
use storage::models::leases::LeasedTable;
use storage::models::{webhook_deliveries, webhooks};

use super::after;
use crate::app::App;
use crate::lease::{self, LeaseKeeper};
use crate::outcome::{JobError, JobResult, after_failure};

pub const SIGNATURE_HEADER: &str = "X-EchoSenseiX-Signature";
pub const TIMESTAMP_HEADER: &str = "X-EchoSenseiX-Timestamp";

/// Hex HMAC-SHA256 of `"{timestamp}.{body}"`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error arm cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[tracing::instrument(skip_all, fields(delivery.id = %job.delivery_id))]
pub async fn handle(app: std::sync::Arc<App>, job: WebhookJob) -> JobResult {
    let app = &*app;
    let id = job.delivery_id;
    let mut conn = app.db.get().await?;
    let Some(delivery) =
        webhook_deliveries::claim_due(&mut conn, id, Utc::now(), after(app.config.lease())).await?
    else {
        return lease::refused(app, LeasedTable::WebhookDeliveries, id).await;
    };
    if let Some(error) = lease::exhausted(app, Queue::WebhookDelivery, delivery.attempts) {
        webhook_deliveries::mark_dead(&mut conn, id, None, &error).await?;
        return Err(JobError::Dead(error));
    }
    let _keeper = LeaseKeeper::start(
        app,
        LeasedTable::WebhookDeliveries,
        id,
        delivery.lease_until.unwrap_or_else(Utc::now),
    );
    let hook = webhooks::find_by_id(&mut conn, delivery.webhook_id).await?;
    let Some(hook) = hook else {
        let error = "endpoint deleted";
        webhook_deliveries::mark_dead(&mut conn, id, None, error).await?;
        return Err(JobError::Dead(error.into()));
    };
    if !hook.is_active {
        // Waits for the endpoint to be enabled again (PATCH isActive).
        webhook_deliveries::hold(&mut conn, id, None, "endpoint disabled").await?;
        return Ok(json!({"held": "endpoint disabled"}));
    }
    drop(conn);

    let allow_private = app.config.webhook_allow_private;
    let attempt = async {
        let url = outbound::check_url(&hook.url, allow_private).map_err(Attempt::Refused)?;
        let secret = app
            .key
            .decrypt(&hook.encrypted_secret)
            .map_err(|e| Attempt::Refused(format!("signing secret: {e}")))?;
        let body =
            serde_json::to_vec(&delivery.payload).map_err(|e| Attempt::Refused(e.to_string()))?;
        let timestamp = Utc::now().timestamp();
        let signature = sign(&secret, timestamp, &body);
        let response = app
            .http
            .post(url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, format!("sha256={signature}"))
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header("X-EchoSenseiX-Event", delivery.event.as_str())
            .header("X-EchoSenseiX-Delivery", id.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if outbound::is_refusal(&e) {
                    Attempt::Refused(format!(
                        "refused: {} resolves only to private addresses",
                        hook.url
                    ))
                } else if e.is_timeout() {
                    Attempt::Failed(None, "timed out".into())
                } else {
                    Attempt::Failed(None, format!("request failed: {e}"))
                }
            })?;
        let status = response.status();
        if status.is_success() {
            Ok(status.as_u16() as i32)
        } else {
            Err(Attempt::Failed(
                Some(status.as_u16() as i32),
                format!("endpoint answered {status}"),
            ))
        }
    }
    .await;

    let mut conn = app.db.get().await?;
    match attempt {
        Ok(status) => {
            // One transaction: whoever sees the delivery succeeded also sees
            // the endpoint's failure streak reset.
            let hook_id = hook.id;
            conn.transaction::<_, diesel::result::Error, _>(async move |c| {
                webhook_deliveries::mark_succeeded(c, id, status).await?;
                webhooks::record_success(c, hook_id).await
            })
            .await?;
            tracing::info!(delivery.id = %id, webhook.id = %hook.id, status, "webhook delivered");
            Ok(json!({"status": status}))
        }
        Err(Attempt::Refused(error)) => {
            webhook_deliveries::mark_dead(&mut conn, id, None, &error).await?;
            Err(JobError::Dead(error))
        }
        Err(Attempt::Failed(status, error)) => {
            let hook =
                webhooks::record_failure(&mut conn, hook.id, app.config.webhook_disable_after)
                    .await?;
            let retry = after_failure(app, Queue::WebhookDelivery, delivery.attempts as u32)
                .filter(|_| hook.is_active);
            match retry {
                Some(delay) => {
                    webhook_deliveries::mark_attempt_failed(
                        &mut conn,
                        id,
                        status,
                        &error,
                        after(delay),
                    )
                    .await?;
                    Err(JobError::Retry {
                        error,
                        after: delay,
                    })
                }
                None if !hook.is_active => {
                    let error = format!(
                        "endpoint disabled after {} consecutive failures: {error}",
                        hook.failure_count
                    );
                    webhook_deliveries::hold(&mut conn, id, status, &error).await?;
                    Ok(json!({"held": error}))
                }
                None => {
                    let error = format!("gave up after {} attempts: {error}", delivery.attempts);
                    webhook_deliveries::mark_dead(&mut conn, id, status, &error).await?;
                    Err(JobError::Dead(error))
                }
            }
        }
    }
}

enum Attempt {
    /// Never deliverable as configured: no retry.
    Refused(String),
    /// This attempt failed (status if the endpoint answered).
    Failed(Option<i32>, String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign(b"secret", 1_700_000_000, br#"{"a":1}"#),
            "49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        assert_eq!(sign(b"secret", 1, b"x").len(), 64);
        assert_ne!(sign(b"secret", 1, b"x"), sign(b"secret", 2, b"x"));
    }
}
