//! Outbound webhook endpoints: list, create (the signing secret is shown
//! once, then kept only encrypted for the delivery worker) and delete. All
//! owner or admin: endpoint URLs often embed tokens of their own.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::crypto::generate_token;
use storage::models::webhook_deliveries::{self, NewWebhookDelivery, WebhookDelivery};
use storage::models::webhooks::{self, NewWebhook, Webhook};
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, OrNotFound};
use crate::input::text::is_clean;
use crate::input::{FieldErrors, PageQuery, PageResponse, Paging};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

/// Events an endpoint may subscribe to.
pub const EVENTS: &[&str] = &[
    "call.completed",
    "document.processed",
    "document.failed",
    "agent.created",
    "agent.updated",
    "agent.deleted",
];
const MAX_URL: usize = 2048;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    id: Uuid,
    url: String,
    events: Vec<String>,
    /// False once disabled after repeated delivery failures.
    is_active: bool,
    failure_count: i32,
    last_failure_at: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Webhook> for WebhookResponse {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id,
            url: w.url,
            events: w.events,
            is_active: w.is_active,
            failure_count: w.failure_count,
            last_failure_at: w.last_failure_at,
            disabled_at: w.disabled_at,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// The new endpoint with its signing secret: shown this once only.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    webhook: WebhookResponse,
    /// `whsec_...`: verify the HMAC-SHA256 signature of each delivery with it.
    secret: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateWebhook {
    /// An absolute http(s) URL.
    #[schema(value_type = String)]
    url: Option<String>,
    /// One or more of call.completed, document.processed, document.failed,
    /// agent.created, agent.updated, agent.deleted.
    #[schema(value_type = Vec<String>)]
    events: Option<Vec<String>>,
}

fn parse_url(url: Option<String>) -> Result<String, &'static str> {
    let text = url.ok_or("is required")?.trim().to_owned();
    if text.len() > MAX_URL {
        return Err("must be at most 2048 characters");
    }
    // The URL parser would quietly drop or escape a control character; the
    // caller meant something else, so it is refused.
    if !is_clean(&text) {
        return Err("must not contain NUL or other control characters");
    }
    let parsed = Url::parse(&text).map_err(|_| "must be an absolute http(s) URL")?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("must be an absolute http(s) URL");
    }
    Ok(parsed.to_string())
}

fn parse_events(events: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let events = events.ok_or("is required")?;
    if events.is_empty() {
        return Err("must name at least one event".into());
    }
    let mut out: Vec<String> = Vec::with_capacity(events.len());
    for event in events {
        let event = event.trim();
        if !EVENTS.contains(&event) {
            return Err(format!("unknown event; known: {}", EVENTS.join(", ")));
        }
        if !out.iter().any(|e| e == event) {
            out.push(event.to_owned());
        }
    }
    Ok(out)
}

impl CreateWebhook {
    fn parse(self) -> ApiResult<(String, Vec<String>)> {
        let mut errors = FieldErrors::default();
        let url = errors.check("url", parse_url(self.url));
        let events = errors.check("events", parse_events(self.events));
        match (url, events) {
            (Some(url), Some(events)) => Ok((url, events)),
            _ => Err(errors.into_error()),
        }
    }
}

/// The organization's endpoints, newest first.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks", params(PageQuery),
    description = "Owner or admin only; members get 403. The signing secret is never listed.",
    responses((status = 200, body = PageResponse<WebhookResponse>), (status = 401), (status = 403), (status = 422)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    Paging(page): Paging,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let mut conn = state.db.read(auth.organization_id).await?;
    let rows = webhooks::list(&mut conn, auth.organization_id, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, WebhookResponse::from)))
}

/// Adds an endpoint and answers its signing secret, shown only here.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = CreateWebhook,
    description = "Owner or admin only; members get 403.",
    responses((status = 201, body = CreatedWebhook), (status = 400), (status = 401), (status = 403), (status = 415), (status = 422)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: web::Json<CreateWebhook>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (url, events) = body.into_inner().parse()?;
    let secret = generate_token("whsec");
    let new = NewWebhook {
        organization_id: auth.organization_id,
        url,
        encrypted_secret: state.encryption.encrypt(secret.as_bytes()),
        events,
        created_by: auth.user_id,
    };
    let mut conn = state.db.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |c| {
            let row = webhooks::insert(c, &new).await?;
            let event = AuditEvent {
                action: "webhook.created",
                entity_type: "webhook",
                entity_id: Some(row.id),
                changes: json!({ "url": row.url, "events": row.events }),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedWebhook {
        webhook: row.into(),
        secret,
    }))
}

/// Removes an endpoint and its delivery history.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    let mut conn = state.db.get().await?;
    conn.transaction::<_, ApiError, _>(async |c| {
        if !webhooks::delete(c, org, id).await? {
            return Err(ApiError::not_found("webhook"));
        }
        let event = AuditEvent {
            action: "webhook.deleted",
            entity_type: "webhook",
            entity_id: Some(id),
            changes: json!({}),
        };
        audit::record(c, &auth, &meta, event).await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/webhooks/{id}").route(web::delete().to(delete)))
    .service(web::resource("/webhooks/{id}/deliveries").route(web::get().to(deliveries)))
    .service(web::resource("/webhooks/{id}/test").route(web::post().to(test)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create, delete, deliveries, test),
    components(schemas(
        WebhookResponse,
        CreatedWebhook,
        PageResponse<WebhookResponse>,
        CreateWebhook,
        DeliveryResponse,
        PageResponse<DeliveryResponse>,
        TestQueued
    ))
)]
pub struct Doc;

/// One attempt history of one event sent to one endpoint.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryResponse {
    id: Uuid,
    webhook_id: Uuid,
    event: String,
    /// The request body sent: `{id, event, organizationId, createdAt, data}`.
    #[schema(value_type = Object)]
    payload: Value,
    /// pending, delivering, succeeded, failed (will retry) or dead.
    status: String,
    attempts: i32,
    /// HTTP status of the last attempt, if the endpoint answered.
    response_status: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
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
    delivery_id: Uuid,
}

/// Deliveries of one endpoint, newest first, with each one's last attempt.
#[utoipa::path(get, path = "/api/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), PageQuery),
    description = "Owner or admin only; members get 403. Unknown and other organizations' ids answer 404.",
    responses((status = 200, body = PageResponse<DeliveryResponse>), (status = 401), (status = 403), (status = 404), (status = 422)))]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    Paging(page): Paging,
) -> ApiResult<HttpResponse> {
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
#[utoipa::path(post, path = "/api/webhooks/{id}/test", tag = "webhooks", params(("id" = Uuid, Path)),
    description = "Queues a signed `webhook.test` delivery to this endpoint and answers its id; follow it \
                   in `/api/webhooks/{id}/deliveries`. Owner or admin only; members get 403; unknown and \
                   other organizations' ids answer 404.",
    responses((status = 202, body = TestQueued), (status = 401), (status = 403), (status = 404)))]
pub async fn test(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    let mut conn = state.db.get().await?;
    let hook = webhooks::find(&mut conn, org, id)
        .await
        .or_not_found("webhook")?;
    // The envelope every event carries (see jobs::publish_event).
    let payload = json!({
        "id": Uuid::now_v7(),
        "event": jobs::events::event::WEBHOOK_TEST,
        "organizationId": org,
        "createdAt": Utc::now(),
        "data": { "webhookId": hook.id, "message": "Test delivery from EchoSenseiX" },
    });
    let row = NewWebhookDelivery {
        organization_id: org,
        webhook_id: hook.id,
        event: jobs::events::event::WEBHOOK_TEST.into(),
        payload,
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
