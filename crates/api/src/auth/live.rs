//! Re-checking a principal that outlives one request (an open WebSocket):
//! after a revocation notice, and at the token's expiry, the holder asks
//! whether its token still grants what it needs, and closes if not.

use actix_web::ResponseError;
use actix_web::http::StatusCode;
use actix_ws::{CloseCode, CloseReason};
use chrono::{DateTime, Utc};

use super::resolve::resolve;
use crate::state::AppState;

/// The verdict on a held token.
pub enum Verdict {
    /// Still valid: keep serving.
    Allowed,
    /// Revoked, expired, its user removed or demoted: close with this reason.
    Refused(CloseReason),
}

/// Resolves the token again (the revoking write has dropped its cached
/// resolution, so this reaches Postgres for exactly the revoked tokens).
/// A dependency that cannot answer closes the socket too: a revocation that
/// cannot be confirmed either way must not keep a stream open; the client
/// reconnects once the database answers.
pub async fn recheck(state: &AppState, token: &str) -> Verdict {
    match resolve(state, token).await {
        Ok(user) => match super::scope::realtime_allowed(&user) {
            true => Verdict::Allowed,
            false => Verdict::Refused(revoked()),
        },
        Err(e) if e.status_code() == StatusCode::UNAUTHORIZED => Verdict::Refused(revoked()),
        Err(e) => {
            tracing::warn!(error = %e, "websocket token re-check failed, closing");
            Verdict::Refused(CloseReason {
                code: CloseCode::Again,
                description: Some("could not re-check the token".into()),
            })
        }
    }
}

fn revoked() -> CloseReason {
    CloseReason {
        code: CloseCode::Policy,
        description: Some("access revoked".into()),
    }
}

/// The close reason once the token expires.
pub fn expired() -> CloseReason {
    CloseReason {
        code: CloseCode::Policy,
        description: Some("token expired".into()),
    }
}

/// Sleeps until `expires_at` (forever when the token never expires).
pub async fn until_expiry(expires_at: Option<DateTime<Utc>>) {
    match expires_at {
        Some(at) => {
            let left = (at - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(left).await;
        }
        None => std::future::pending().await,
    }
}
