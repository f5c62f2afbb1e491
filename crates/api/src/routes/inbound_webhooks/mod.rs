//! `POST /api/webhooks/elevenlabs/{organizationId}/post-call`: ElevenLabs'
//! post-call event, outside bearer auth. The agent is found by its external
//! id within the organization of the URL (external ids are unique per
//! organization only), the `ElevenLabs-Signature` HMAC is checked against
//! that organization's webhook secret, then the call is upserted by
//! conversation id (replays change nothing) and the day's analytics rollup
//! refreshed. The legacy URL without an organization serves an external id
//! that exactly one organization uses.

mod payload;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use futures::StreamExt;
use jobs::{EventKind, Raised};
use serde::Serialize;
use serde_json::{Value, json};
use storage::models::call_logs::{self};
use storage::models::{agents, analytics, integrations};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::audited::effects;
use crate::error::{ApiError, ApiResult, Reply};
use crate::state::{AppState, State};
use payload::Event;

pub use crate::webhook_signature::sign;
use crate::webhook_signature::{Signature, invalid_signature};

pub const SIGNATURE_HEADER: &str = "ElevenLabs-Signature";
const PLATFORM: &str = "elevenlabs";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(elevenlabs_post_call)
        .service(elevenlabs_org_post_call);
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    received: bool,
    /// The stored call; absent for event types that carry no call.
    call_id: Option<Uuid>,
}

/// The body, at most `limit` bytes (413 past it).
async fn read_body(mut payload: web::Payload, limit: usize) -> ApiResult<web::Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::bad_request("bad_request", "could not read the request body"))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The organization's ElevenLabs webhook secret, if it configured one.
async fn webhook_secret(
    state: &AppState,
    conn: &mut diesel_async::AsyncPgConnection,
    org: Uuid,
) -> ApiResult<Option<String>> {
    let Some(integration) = integrations::find_by_provider(conn, org, PLATFORM).await? else {
        return Ok(None);
    };
    let Ok(plain) = state.encryption.decrypt(&integration.encrypted_credentials) else {
        tracing::warn!(organization.id = %org, "elevenlabs credentials do not decrypt under ENCRYPTION_KEY");
        return Ok(None);
    };
    let credentials: Value = serde_json::from_slice(&plain).unwrap_or(Value::Null);
    Ok(credentials
        .get("webhookSecret")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

#[utoipa::path(tag = "webhooks-in",
    description = "ElevenLabs post-call event, the URL an organization gives ElevenLabs. No bearer token: \
                   authenticated by the `ElevenLabs-Signature` header (`t=<unix>,v0=<hex HMAC-SHA256 of \
                   \"t.body\">`, at most 4 candidates, 512 bytes) under the organization's webhook secret, \
                   within WEBHOOK_TOLERANCE_SECS. `data.agent_id` is one of the organization's agents' \
                   `externalAgentId`. Idempotent per conversation.",
    request_body(content = Object, content_type = "application/json"),
    params(("organization_id" = String, Path), ("ElevenLabs-Signature" = String, Header)),
    responses((status = 200, body = Received),
    (status = 400, description = "signature_header_too_long, too_many_signatures"),
    (status = 401, description = "invalid_signature")))]
#[post("/elevenlabs/{organization_id}/post-call")]
#[tracing::instrument(skip_all)]
pub async fn elevenlabs_org_post_call(
    state: State,
    req: HttpRequest,
    organization_id: web::Path<String>,
    payload: web::Payload,
) -> Reply {
    // A malformed id answers like an unknown one: the caller learns nothing.
    let org = Uuid::parse_str(&organization_id).map_err(|_| invalid_signature())?;
    post_call(state, req, payload, Some(org)).await
}

#[utoipa::path(tag = "webhooks-in",
    description = "Legacy URL of the ElevenLabs post-call event, without the organization: accepted only when \
                   exactly one organization has an agent with `data.agent_id` as its `externalAgentId`. \
                   Prefer `/api/webhooks/elevenlabs/{organization_id}/post-call`.",
    request_body(content = Object, content_type = "application/json"),
    params(("ElevenLabs-Signature" = String, Header)), responses((status = 200, body = Received),
    (status = 400, description = "signature_header_too_long, too_many_signatures"),
    (status = 401, description = "invalid_signature")))]
#[post("/elevenlabs/post-call")]
#[tracing::instrument(skip_all)]
pub async fn elevenlabs_post_call(state: State, req: HttpRequest, payload: web::Payload) -> Reply {
    post_call(state, req, payload, None).await
}

/// Both URLs: `org` from the URL, or `None` on the legacy one.
async fn post_call(
    state: State,
    req: HttpRequest,
    payload: web::Payload,
    org: Option<Uuid>,
) -> Reply {
    // Bounded before any work: a capped header, a capped number of candidates, one MAC.
    let header = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid_signature)?;
    let signature = Signature::parse(header)?;
    if (Utc::now().timestamp() - signature.timestamp).abs() > state.config.webhook_tolerance_secs {
        return Err(invalid_signature());
    }
    let body = read_body(payload, state.config.json_limit).await?;
    let json: Value = serde_json::from_slice(&body).map_err(|_| invalid_signature())?;
    let external_id = json
        .pointer("/data/agent_id")
        .and_then(Value::as_str)
        .ok_or_else(invalid_signature)?;

    let mut conn = state.db.get().await?;
    let agent = match org {
        Some(org) => agents::find_by_external_id(&mut conn, org, PLATFORM, external_id).await?,
        None => agents::find_unique_by_external_id(&mut conn, PLATFORM, external_id).await?,
    }
    .ok_or_else(invalid_signature)?;
    let secret = webhook_secret(&state, &mut conn, agent.organization_id)
        .await?
        .ok_or_else(invalid_signature)?;
    if !signature.verify(secret.as_bytes(), &body) {
        return Err(invalid_signature());
    }

    let event: Event = serde_json::from_value(json)
        .map_err(|e| ApiError::validation(json!({ "body": e.to_string() })))?;
    if event
        .kind
        .as_deref()
        .is_some_and(|k| k != "post_call_transcription")
    {
        // Audio and failure notices carry no call record to store.
        return Ok(HttpResponse::Ok().json(Received {
            received: true,
            call_id: None,
        }));
    }
    let call = event.data.into_call(agent.organization_id, agent.id)?;
    let org = agent.organization_id;
    let (stored, event) = conn
        .transaction::<_, ApiError, _>(async move |c| {
            let replay = call_logs::exists(c, org, &call.conversation_id).await?;
            let stored = call_logs::upsert(c, &call).await?;
            analytics::refresh_day(c, org, stored.started_at.date_naive()).await?;
            let data = call_event(&stored);
            // Subscribers hear of a call once, however often it is replayed;
            // the dashboards still refresh.
            let event = if replay {
                Raised::live_only(org, EventKind::CallCompleted, data)
            } else {
                Raised::new(c, org, EventKind::CallCompleted, data).await?
            };
            Ok((stored, event))
        })
        .await?;
    event.dispatch(effects(&state), &[]).await;
    tracing::info!(organization.id = %org, call.id = %stored.id, "post-call webhook stored");
    Ok(HttpResponse::Ok().json(Received {
        received: true,
        call_id: Some(stored.id),
    }))
}

/// The `data` of call.completed: the call's summary, not its transcript.
fn call_event(call: &call_logs::CallLog) -> Value {
    json!({
        "id": call.id,
        "conversationId": call.conversation_id,
        "agentId": call.agent_id,
        "status": call.status,
        "durationSeconds": call.duration_seconds,
        "startedAt": call.started_at,
    })
}
