//! Token resolution: from a bearer token to an `AuthUser`, through the
//! token's SHA-256 digest (the database never holds a token).
//!
//! Resolution runs on every request, so its answer is cached (the `session`
//! namespace, 60 minutes, in Redis and in each instance's first level). Each
//! token has its own cache generation: revoking a token bumps it after the
//! revoking transaction commits and returns once every instance's first
//! level dropped it, so every instance stops accepting the token at once,
//! and a resolution that raced the revocation cannot be found afterwards.

use chrono::{DateTime, Utc};
use crypto::token_digest;
use kv::cache::Namespace;
use storage::models::{api_keys, sessions, users};
use uuid::Uuid;

use super::principal::{API_KEY_PREFIX, AuthUser, Role, SESSION_TOKEN_PREFIX};
use super::scope::ScopeSet;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn resolve(state: &AppState, token: &str) -> ApiResult<AuthUser> {
    resolve_with_expiry(state, token)
        .await
        .map(|(user, _)| user)
}

/// The caller and when its token stops working (`None`: never), for
/// holders that outlive one request (the WebSocket closes at expiry).
pub async fn resolve_with_expiry(
    state: &AppState,
    token: &str,
) -> ApiResult<(AuthUser, Option<DateTime<Utc>>)> {
    let (prefix, _) = token.split_once('_').ok_or_else(invalid)?;
    if prefix != SESSION_TOKEN_PREFIX && prefix != API_KEY_PREFIX {
        return Err(invalid());
    }
    let digest = token_digest(token);
    let (cached, _) = state
        .cache
        .wrap(
            Namespace::Session,
            token_scope(&digest),
            "principal",
            || async {
                let principal = match prefix {
                    SESSION_TOKEN_PREFIX => resolve_session(state, &digest).await?,
                    _ => resolve_api_key(state, &digest).await?,
                };
                Ok::<_, ApiError>(principal)
            },
        )
        .await?;
    // A cached answer outlives nothing: the token's own expiry still holds.
    if cached.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(invalid());
    }
    Ok((cached.user, cached.expires_at))
}

/// What the cache keeps for a token: the caller and when the token expires.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Principal {
    user: AuthUser,
    expires_at: Option<DateTime<Utc>>,
}

/// The cache scope of one token: the first 16 bytes of its digest.
fn token_scope(digest: &[u8]) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Makes every instance forget the cached resolution of these token digests
/// of one organization, and its cached user answers (profiles: tokens are
/// revoked by every change of a user's role, membership or password), then
/// tells the open WebSockets of that organization on every instance to
/// re-check their tokens. Call it after the transaction that revoked,
/// deleted or demoted them has committed.
pub async fn forget_tokens(state: &AppState, organization_id: Uuid, digests: &[Vec<u8>]) {
    let forgets = digests.iter().filter(|d| d.len() >= 16).map(|digest| {
        state
            .cache
            .invalidate(Namespace::Session, token_scope(digest))
    });
    futures::future::join(
        futures::future::join_all(forgets),
        state.cache.invalidate(Namespace::User, organization_id),
    )
    .await;
    state.events.publish_revocation(organization_id).await;
}

fn invalid() -> ApiError {
    ApiError::unauthorized("invalid or expired token")
}

async fn resolve_session(state: &AppState, digest: &[u8]) -> ApiResult<Principal> {
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
    let user = AuthUser {
        user_id: Some(user.id),
        organization_id: user.organization_id,
        role: Role::parse(&user.role).ok_or_else(invalid)?,
        session_id: Some(session.id),
        api_key_id: None,
        scopes: None,
    };
    Ok(Principal {
        user,
        expires_at: Some(session.expires_at),
    })
}

/// How stale `api_keys.last_used_at` may get: recording every request would
/// turn each read of a busy key into a write. Resolutions served from the
/// cache do not touch it, so in practice it is refreshed on cache misses.
const LAST_USED_GRANULARITY: chrono::Duration = chrono::Duration::seconds(60);

async fn resolve_api_key(state: &AppState, digest: &[u8]) -> ApiResult<Principal> {
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
    let creator = match key.created_by {
        Some(id) => users::find_by_id(&mut conn, id).await?,
        None => None,
    };
    let role = super::key_binding::effective_role(&key, creator.as_ref()).ok_or_else(invalid)?;
    let user = AuthUser {
        user_id: key.created_by,
        organization_id: key.organization_id,
        role,
        session_id: None,
        api_key_id: Some(key.id),
        scopes: Some(ScopeSet::from_names(&key.scopes)),
    };
    Ok(Principal {
        user,
        expires_at: key.expires_at,
    })
}
