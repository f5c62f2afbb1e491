//! `GET /ws/realtime-sync`: a WebSocket pushing `{type, organizationId, data,
//! timestamp}` events to the members of one organization. The token comes
//! from `Authorization: Bearer` or, for browsers that cannot set headers on a
//! WebSocket, the `token` query parameter. Events arrive through the Redis
//! event bus, so a client on any instance sees events raised on any other.

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, Session};
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::principal::bearer_token;
use crate::auth::resolve::resolve;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Ping period; a client silent for three periods is dropped.
const HEARTBEAT: Duration = Duration::from_secs(20);

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Upgrades to a WebSocket for the caller's organization (401 without a
/// valid token).
#[utoipa::path(tag = "realtime", params(("token" = Option<String>, Query, description = "bearer token, when no Authorization header can be sent")),
    responses((status = 101, description = "switching to WebSocket"), (status = 401)))]
#[get("/ws/realtime-sync")]
pub async fn realtime_sync(
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&req)
        .map(str::to_owned)
        .or_else(|| query.into_inner().token)
        .ok_or_else(|| ApiError::unauthorized("missing token"))?;
    let auth = resolve(&state, &token).await?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::bad_request("websocket_handshake", e.to_string()))?;
    let events = state.events.subscribe(auth.organization_id);
    actix_web::rt::spawn(pump(
        session,
        stream
            .aggregate_continuations()
            .max_continuation_size(64 * 1024),
        events,
    ));
    Ok(response)
}

/// Forwards events to the client and answers its pings until either side
/// closes or the client stops answering.
async fn pump(
    mut session: Session,
    mut stream: actix_ws::AggregatedMessageStream,
    mut events: tokio::sync::broadcast::Receiver<std::sync::Arc<str>>,
) {
    metrics::gauge!("websocket_connections").increment(1.0);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    let mut last_seen = Instant::now();
    let reason = loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(AggregatedMessage::Ping(bytes))) => {
                    last_seen = Instant::now();
                    if session.pong(&bytes).await.is_err() { break None; }
                }
                Some(Ok(AggregatedMessage::Pong(_) | AggregatedMessage::Text(_) | AggregatedMessage::Binary(_))) => {
                    last_seen = Instant::now();
                }
                Some(Ok(AggregatedMessage::Close(reason))) => break reason,
                Some(Err(_)) | None => break None,
            },
            event = events.recv() => match event {
                Ok(payload) => {
                    if session.text(payload.to_string()).await.is_err() { break None; }
                }
                // A slow client skips what it missed rather than stalling others.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break None,
            },
            _ = heartbeat.tick() => {
                if last_seen.elapsed() > HEARTBEAT * 3 || session.ping(b"").await.is_err() {
                    break None;
                }
            }
        }
    };
    metrics::gauge!("websocket_connections").decrement(1.0);
    let _ = session.close(reason).await;
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(realtime_sync);
}
