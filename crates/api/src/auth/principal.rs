//! Who the caller is, as the routes see it: `AuthUser` with its `Role`, the
//! token prefixes, and the bearer token of a request. Resolving a token is
//! `resolve`; the extractor over both is `extract`.

use actix_web::HttpRequest;
use actix_web::http::header;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Prefix of session tokens handed out by login and register.
pub const SESSION_TOKEN_PREFIX: &str = "esx";
/// Prefix of API keys for programmatic consumers.
pub const API_KEY_PREFIX: &str = "esk";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "owner" => Some(Self::Owner),
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Self::Owner => 2,
            Self::Admin => 1,
            Self::Member => 0,
        }
    }

    /// The lower of two roles: an API key acts with at most its creator's
    /// current role, so demoting the creator demotes the key.
    pub fn at_most(self, cap: Role) -> Role {
        if cap.rank() < self.rank() { cap } else { self }
    }
}

/// The authenticated caller.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AuthUser {
    /// The user behind a session, or the creator of an API key (may be gone).
    pub user_id: Option<Uuid>,
    pub organization_id: Uuid,
    pub role: Role,
    pub session_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
    /// What an API key may touch; `None` for sessions (the role decides).
    #[serde(default)]
    pub scopes: Option<super::scope::ScopeSet>,
}

impl AuthUser {
    /// 403 unless the caller is an owner or admin.
    pub fn require_admin(&self) -> ApiResult<()> {
        match self.role {
            Role::Owner | Role::Admin => Ok(()),
            Role::Member => Err(ApiError::forbidden(
                "forbidden",
                "this action needs the owner or admin role",
            )),
        }
    }

    pub fn require_owner(&self) -> ApiResult<()> {
        match self.role {
            Role::Owner => Ok(()),
            _ => Err(ApiError::forbidden(
                "forbidden",
                "this action needs the owner role",
            )),
        }
    }

    /// The user id of a session caller; 403 for API keys on user-only routes.
    pub fn require_user(&self) -> ApiResult<Uuid> {
        match (self.session_id, self.user_id) {
            (Some(_), Some(user)) => Ok(user),
            _ => Err(ApiError::forbidden(
                "user_session_required",
                "this route needs a user session, not an API key",
            )),
        }
    }
}

/// The token of a request, if it carries a well-formed bearer header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}
