//! Issuing session tokens: a random `esx_...` token handed to the client
//! once, and only its SHA-256 digest stored.

use chrono::{DateTime, Duration, Utc};
use crypto::{generate_token, token_digest};
use diesel_async::AsyncPgConnection;
use storage::models::sessions::{self, NewSession};
use storage::models::users::User;

use super::principal::{AuthUser, Role, SESSION_TOKEN_PREFIX};
use crate::request_meta::RequestMeta;

/// A session just created: the token exists only in this value and in the
/// response that carries it.
pub struct IssuedSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub session_id: uuid::Uuid,
}

pub async fn issue(
    conn: &mut AsyncPgConnection,
    user: &User,
    meta: &RequestMeta,
    ttl_hours: i64,
) -> diesel::QueryResult<IssuedSession> {
    let token = generate_token(SESSION_TOKEN_PREFIX);
    let expires_at = Utc::now() + Duration::hours(ttl_hours.max(1));
    let session = sessions::insert(
        conn,
        &NewSession {
            user_id: user.id,
            organization_id: user.organization_id,
            token_hash: token_digest(&token),
            expires_at,
            user_agent: meta.user_agent.clone(),
            ip: meta.ip.clone(),
        },
    )
    .await?;
    Ok(IssuedSession {
        token,
        expires_at,
        session_id: session.id,
    })
}

/// The principal of a user acting on their own account before they hold a
/// token (registration, accepting an invitation, resetting a password), for
/// the audit row of that action.
pub fn acting_user(user: &User) -> AuthUser {
    AuthUser {
        user_id: Some(user.id),
        organization_id: user.organization_id,
        role: Role::parse(&user.role).unwrap_or(Role::Member),
        session_id: None,
        api_key_id: None,
        scopes: None,
    }
}
