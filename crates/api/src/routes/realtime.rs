//! `GET /ws/realtime-sync`: a WebSocket pushing `{type, organizationId, data,
//! timestamp}` events to the members of one organization. The token comes
//! from `Authorization: Bearer` or, for browsers that cannot set headers on a
//! WebSocket, the `token` query parameter. Events arrive through the Redis
//! event bus, so a client on any instance sees events raised on any other.
//!
//! The token is re-checked while the socket is open: a revocation notice for
//! the organization (logout, key revoked, user removed or demoted, on any
//! instance) makes the socket resolve its token again and close with 1008
//! if it no longer may listen; the token's expiry closes it too.

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, get, web};
use actix_ws::{AggregatedMessage, Session};
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::live::{self, Verdict};
use crate::auth::principal::bearer_token;
use crate::auth::resolve::resolve_with_expiry;
use crate::error::{ApiError, Reply};
use crate::state::{AppState, State};

/// Ping period; a client silent for three periods is dropped.
const HEARTBEAT: Duration = Duration::from_secs(20);

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Upgrades to a WebSocket for the caller's organization (401 without a
/// valid token).
#[utoipa::path(tag = "realtime",
    params(("token" = Option<String>, Query, description = "bearer token, when no Authorization header can be sent")),
    responses((status = 101, description = "switching to WebSocket"),
    (status = 400, description = "websocket_handshake: not a WebSocket upgrade request")))]
#[get("/ws/realtime-sync")]
pub async fn realtime_sync(
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<TokenQuery>,
    state: State,
) -> Reply {
    let token = bearer_token(&req)
        .map(str::to_owned)
        .or_else(|| query.into_inner().token)
        .ok_or_else(|| ApiError::unauthorized("missing token"))?;
    let (auth, expires_at) = resolve_with_expiry(&state, &token).await?;
    crate::auth::scope::require(&auth, crate::auth::scope::REALTIME)?;
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| ApiError::bad_request("websocket_handshake", e.to_string()))?;
    // Watch first: a revocation between the check above and the first
    // event still reaches this socket.
    let revocations = state.events.watch_revocations(auth.organization_id);
    let events = state.events.subscribe(auth.organization_id);
    let holder = Holder {
        state: state.into_inner(),
        token,
        expires_at,
        revocations,
    };
    actix_web::rt::spawn(pump(
        session,
        stream
            .aggregate_continuations()
            .max_continuation_size(64 * 1024),
        events,
        holder,
    ));
    Ok(response)
}

/// What a socket needs to re-check its principal while it is open.
struct Holder {
    state: std::sync::Arc<AppState>,
    token: String,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    revocations: tokio::sync::watch::Receiver<()>,
}

/// Forwards events to the client and answers its pings until either side
/// closes, the client stops answering, or the token stops granting access.
async fn pump(
    mut session: Session,
    mut stream: actix_ws::AggregatedMessageStream,
    mut events: tokio::sync::broadcast::Receiver<std::sync::Arc<str>>,
    mut holder: Holder,
) {
    metrics::gauge!("websocket_connections").increment(1.0);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    let mut last_seen = Instant::now();
    let expiry = live::until_expiry(holder.expires_at);
    tokio::pin!(expiry);
    let reason = loop {
        tokio::select! {
            changed = holder.revocations.changed() => {
                if changed.is_err() { break None; }
                if let Verdict::Refused(reason) = live::recheck(&holder.state, &holder.token).await {
                    break Some(reason);
                }
            },
            () = &mut expiry => break Some(live::expired()),
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
