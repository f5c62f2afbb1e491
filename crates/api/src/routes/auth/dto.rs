//! Response bodies shared by the auth, users and API key routes. None of
//! them has a field for a password hash or a token digest.

use chrono::{DateTime, Utc};
use serde::Serialize;
use storage::models::organizations::Organization;
use storage::models::users::User;
use uuid::Uuid;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: String,
    /// owner, admin or member.
    pub role: String,
    /// active or disabled.
    pub status: String,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            organization_id: u.organization_id,
            email: u.email,
            name: u.name,
            role: u.role,
            status: u.status,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationResponse {
    pub id: Uuid,
    pub name: String,
    pub subdomain: Option<String>,
    pub plan: String,
    pub max_agents: i32,
    pub max_users: i32,
    pub created_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationResponse {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            subdomain: o.subdomain,
            plan: o.plan,
            max_agents: o.max_agents,
            max_users: o.max_users,
            created_at: o.created_at,
        }
    }
}

/// A new session: the bearer token is in this answer and nowhere else.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserResponse,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserResponse,
    pub organization: OrganizationResponse,
}

/// The caller's user with its organization.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileResponse {
    #[serde(flatten)]
    pub user: UserResponse,
    pub organization: OrganizationResponse,
}
