//! Team management: the organization's users, invitations, role changes and
//! removals. Owners and admins manage; only an owner touches owners; the
//! last owner can be neither demoted nor removed.

mod invite;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;
use serde_json::json;
use storage::models::api_keys;
use storage::models::organizations;
use storage::models::sessions;
use storage::models::users::{self, User, UserUpdate};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::auth::dto::UserResponse;
use crate::audit::{self, AuditEvent};
use crate::audited::{AdminWrite, Change, audited};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, OrNotFound, Reply, code};
use crate::input::FieldErrors;
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;
pub use invite::InvitationResponse;
use invite::invite_user;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(invite_user)
        .service(update_user)
        .service(delete_user);
}

/// The organization's users, newest first.
#[utoipa::path(tag = "team", params(PageQuery),
    responses((status = 200, body = PageResponse<UserResponse>),
    (status = 422, description = "bad page or limit")))]
#[get("")]
pub async fn list_users(state: State, auth: AuthUser, Paging(page): Paging) -> Reply {
    let users = users::list(
        &mut *state.db.read(auth.organization_id).await?,
        auth.organization_id,
        page,
    )
    .await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(users, UserResponse::from)))
}

/// Roles an invitation or a role change may give.
fn parse_role(raw: &str, allow_owner: bool) -> Result<Role, &'static str> {
    match Role::parse(raw.trim()) {
        Some(Role::Owner) if !allow_owner => Err("must be admin or member"),
        Some(role) => Ok(role),
        None if allow_owner => Err("must be owner, admin or member"),
        None => Err("must be admin or member"),
    }
}

crate::wire_rule!(
    /// A member's role.
    UserRole,
    crate::input::schema::one_of(["owner", "admin", "member"])
);

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateUserRequest {
    /// owner, admin or member.
    #[schema(value_type = UserRole, required)]
    role: String,
}

fn last_owner() -> ApiError {
    ApiError::conflict(
        code::LAST_OWNER,
        "the organization must keep at least one owner",
    )
}

/// Loads the target user under the organization lock and checks that the
/// caller may change it: only owners touch owners, and the last owner stays.
async fn lock_target(
    c: &mut AsyncPgConnection,
    auth: &AuthUser,
    id: Uuid,
    losing_owner: impl Fn(&User) -> bool,
) -> ApiResult<User> {
    organizations::find_for_update(c, auth.organization_id).await?;
    let target = users::find(c, auth.organization_id, id)
        .await
        .or_not_found("user")?;
    if target.role == Role::Owner.as_str() {
        auth.require_owner()?;
    }
    if losing_owner(&target)
        && users::count_with_role(c, auth.organization_id, Role::Owner.as_str()).await? <= 1
    {
        return Err(last_owner());
    }
    Ok(target)
}

/// Changes a user's role. The user's sessions end, so the new role applies
/// from the next request.
#[utoipa::path(tag = "team", params(("id" = Uuid, Path)), request_body = UpdateUserRequest,
    responses((status = 200, body = UserResponse),
    (status = 403, description = "not owner/admin, or an admin touching owners"), (status = 404),
    (status = 409, description = "last_owner"), (status = 422, description = "invalid role")))]
#[patch("/{id}")]
pub async fn update_user(
    AdminWrite { state, auth, meta }: AdminWrite,
    path: web::Path<Uuid>,
    body: web::Json<UpdateUserRequest>,
) -> Reply {
    let id = path.into_inner();
    let mut errors = FieldErrors::default();
    let Some(role) = errors.check("role", parse_role(&body.role, true)) else {
        return Err(errors.into_error());
    };
    if role == Role::Owner {
        auth.require_owner()?;
    }
    let org = auth.organization_id;
    let mut conn = state.db.get().await?;
    let (user, revoked) = conn
        .transaction::<_, ApiError, _>(async move |c| {
            let losing_owner = |u: &User| u.role == Role::Owner.as_str() && role != Role::Owner;
            let target = lock_target(c, &auth, id, losing_owner).await?;
            if target.role == role.as_str() {
                return Ok((target, Vec::new()));
            }
            let changes = UserUpdate {
                role: Some(role.as_str().into()),
                ..UserUpdate::default()
            };
            let user = users::update(c, auth.organization_id, id, &changes).await?;
            let mut revoked = sessions::revoke_all_for_user(c, id).await?;
            // The user's keys act with at most the new role from now on.
            revoked.extend(api_keys::digests_created_by(c, auth.organization_id, id).await?);
            audit::record(
                c,
                &auth,
                &meta,
                AuditEvent {
                    action: "user.role_changed",
                    entity_type: "user",
                    entity_id: Some(id),
                    changes: json!({ "role": { "from": target.role, "to": user.role } }),
                },
            )
            .await?;
            Ok((user, revoked))
        })
        .await?;
    crate::auth::resolve::forget_tokens(&state, org, &revoked).await;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Removes a user from the organization (their sessions go with them).
#[utoipa::path(tag = "team", params(("id" = Uuid, Path)), responses((status = 204),
    (status = 403, description = "not owner/admin, or an admin removing an owner"), (status = 404),
    (status = 409, description = "cannot_remove_self or last_owner")))]
#[delete("/{id}")]
pub async fn delete_user(
    AdminWrite { state, auth, meta }: AdminWrite,
    path: web::Path<Uuid>,
) -> Reply {
    let id = path.into_inner();
    if auth.user_id == Some(id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            code::CANNOT_REMOVE_SELF,
            "you cannot remove yourself",
        ));
    }
    let org = auth.organization_id;
    let caller = auth.clone();
    let revoked = audited(&state, &auth, &meta, &[], move |c| {
        Box::pin(async move {
            let target = lock_target(c, &caller, id, |u| u.role == Role::Owner.as_str()).await?;
            // The delete cascades to the sessions; their digests are needed first
            // so that cached resolutions of them can be dropped.
            let mut revoked = sessions::revoke_all_for_user(c, id).await?;
            // A key works only while its creator is a member.
            revoked.extend(api_keys::revoke_created_by(c, org, id).await?);
            users::delete(c, org, id).await?;
            let changes = json!({ "email": target.email, "role": target.role });
            Ok(Change::new(revoked, "user.deleted", Some(id), changes))
        })
    })
    .await?;
    crate::auth::resolve::forget_tokens(&state, org, &revoked).await;
    Ok(HttpResponse::NoContent().finish())
}
