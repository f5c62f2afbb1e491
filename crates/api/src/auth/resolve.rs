//! Token resolution: from a bearer token to an `AuthUser`, through the
//! token's SHA-256 digest (the database never holds a token).

use chrono::Utc;
use storage::crypto::token_digest;
use storage::models::{api_keys, sessions, users};

use super::principal::{API_KEY_PREFIX, AuthUser, Role, SESSION_TOKEN_PREFIX};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn resolve(state: &AppState, token: &str) -> ApiResult<AuthUser> {
    let (prefix, _) = token.split_once('_').ok_or_else(invalid)?;
    let digest = token_digest(token);
    match prefix {
        SESSION_TOKEN_PREFIX => resolve_session(state, &digest).await,
        API_KEY_PREFIX => resolve_api_key(state, &digest).await,
        _ => Err(invalid()),
    }
}

fn invalid() -> ApiError {
    ApiError::unauthorized("invalid or expired token")
}

async fn resolve_session(state: &AppState, digest: &[u8]) -> ApiResult<AuthUser> {
    let mut conn = state.db.get().await?;
    let session = sessions::find_live(&mut conn, digest, Utc::now())
        .await?
        .ok_or_else(invalid)?;
    let user = users::find_by_id(&mut conn, session.user_id)
        .await?
        .ok_or_else(invalid)?;
    if user.status != "active" {
        return Err(invalid());
    }
    Ok(AuthUser {
        user_id: Some(user.id),
        organization_id: user.organization_id,
        role: Role::parse(&user.role).ok_or_else(invalid)?,
        session_id: Some(session.id),
        api_key_id: None,
    })
}

/// How stale `api_keys.last_used_at` may get: recording every request would
/// turn each read of a busy key into a write.
const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::seconds(60);

async fn resolve_api_key(state: &AppState, digest: &[u8]) -> ApiResult<AuthUser> {
    let mut conn = state.db.get().await?;
    let now = Utc::now();
    let key = api_keys::find_live(&mut conn, digest, now)
        .await?
        .ok_or_else(invalid)?;
    let stale_before = now - LAST_USED_GRANULARITY;
    if key.last_used_at.is_none_or(|at| at < stale_before) {
        // Bookkeeping only: a failure here must not refuse the request.
        if let Err(e) = api_keys::touch_last_used(&mut conn, key.id, now, stale_before).await {
            tracing::warn!(api_key.id = %key.id, error = %e, "could not record API key use");
        }
    }
    Ok(AuthUser {
        user_id: key.created_by,
        organization_id: key.organization_id,
        role: Role::parse(&key.role).ok_or_else(invalid)?,
        session_id: None,
        api_key_id: Some(key.id),
    })
}
