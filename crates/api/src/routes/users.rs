//! Team management: the organization's users, invitations, role changes and
//! removals. Owners and admins manage; only an owner touches owners; the
//! last owner can be neither demoted nor removed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use storage::crypto::{generate_token, token_digest};
use storage::models::api_keys;
use storage::models::email_outbox::{self, NewOutboxEmail};
use storage::models::invitations::{self, Invitation, NewInvitation};
use storage::models::organizations;
use storage::models::sessions;
use storage::models::users::{self, User, UserUpdate};
use uuid::Uuid;

use super::auth::dto::UserResponse;
use crate::audit::{self, AuditEvent};
use crate::auth::input::Email;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiResult, OrNotFound};
use crate::input::FieldErrors;
use crate::input::{PageQuery, PageResponse, Paging};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

/// Prefix of invitation tokens.
const INVITE_TOKEN_PREFIX: &str = "esi";
const INVITE_TTL: chrono::Duration = chrono::Duration::days(7);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_users)
        .service(invite_user)
        .service(update_user)
        .service(delete_user);
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_users, invite_user, update_user, delete_user),
    components(schemas(PageResponse<UserResponse>, InviteRequest, InvitationResponse, UpdateUserRequest))
)]
pub struct Doc;

/// The organization's users, newest first.
#[utoipa::path(
    context_path = "/api",
    tag = "team",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = PageResponse<UserResponse>), (status = 401), (status = 422, description = "bad page or limit"))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: AuthUser,
    Paging(page): Paging,
) -> ApiResult<HttpResponse> {
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

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct InviteRequest {
    email: String,
    /// admin or member.
    role: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationResponse {
    id: Uuid,
    email: String,
    role: String,
    invited_by: Option<Uuid>,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationResponse {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role,
            invited_by: i.invited_by,
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

/// Invites an address to the organization and queues the invitation mail.
/// Users plus pending invitations may not exceed the plan's `max_users`.
#[utoipa::path(
    context_path = "/api",
    tag = "team",
    security(("bearer" = [])),
    request_body = InviteRequest,
    responses(
        (status = 201, body = InvitationResponse),
        (status = 403, description = "not owner/admin, or plan_limit_reached"),
        (status = 409, description = "already_member or already_invited"),
        (status = 422, description = "invalid fields"),
    )
)]
#[post("/users/invite")]
pub async fn invite_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: web::Json<InviteRequest>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&body.email));
    let role = errors.check("role", parse_role(&body.role, false));
    let (Some(email), Some(role)) = (email, role) else {
        return Err(errors.into_error());
    };

    let token = generate_token(INVITE_TOKEN_PREFIX);
    let accept_url = format!(
        "{}/accept-invite?token={token}",
        state.config.public_app_url.trim_end_matches('/')
    );
    let org_id = auth.organization_id;
    let key = state.encryption.clone();
    let mut conn = state.db.get().await?;
    let (invitation, mail) = conn
        .transaction::<_, ApiError, _>(async move |c| {
            // The lock makes "count seats, then insert" atomic per organization.
            let org = organizations::find_for_update(c, org_id).await?;
            // A user of another organization is not revealed here; the
            // acceptance answers email_taken to the invitee instead.
            if users::find_by_email(c, email.as_str())
                .await?
                .is_some_and(|u| u.organization_id == org_id)
            {
                return Err(ApiError::conflict(
                    "already_member",
                    "this address already belongs to a member",
                ));
            }
            let now = Utc::now();
            if let Some(existing) =
                invitations::find_unaccepted_by_email(c, org_id, email.as_str()).await?
            {
                if existing.expires_at > now {
                    return Err(ApiError::conflict(
                        "already_invited",
                        "this address already has a pending invitation",
                    ));
                }
                invitations::delete(c, org_id, existing.id).await?;
            }
            let seats =
                users::count(c, org_id).await? + invitations::count_pending(c, org_id, now).await?;
            if seats >= i64::from(org.max_users) {
                return Err(ApiError::forbidden(
                    "plan_limit_reached",
                    "the plan's user limit is reached",
                )
                .with_details(json!({ "limit": "max_users", "max": org.max_users })));
            }
            let invitation = invitations::insert(
                c,
                &NewInvitation {
                    organization_id: org_id,
                    email: email.into_string(),
                    role: role.as_str().into(),
                    token_hash: token_digest(&token),
                    invited_by: auth.user_id,
                    expires_at: now + INVITE_TTL,
                },
            )
            .await?;
            let mail = email_outbox::insert(
                c,
                &NewOutboxEmail {
                    organization_id: Some(org_id),
                    to_address: invitation.email.clone(),
                    template: email_outbox::template::INVITATION.into(),
                    // The link carries the bearer token: sealed, never in the clear at rest.
                    data: storage::sealed_link::seal(
                        json!({
                            "organizationName": org.name,
                            "role": invitation.role,
                            "expiresAt": invitation.expires_at,
                        }),
                        &key,
                        &accept_url,
                    ),
                },
            )
            .await?;
            audit::record(
                c,
                &auth,
                &meta,
                AuditEvent {
                    action: "invitation.created",
                    entity_type: "invitation",
                    entity_id: Some(invitation.id),
                    changes: json!({ "email": invitation.email, "role": invitation.role }),
                },
            )
            .await?;
            Ok((invitation, mail.id))
        })
        .await?;
    state.jobs.enqueue_email(mail).await;
    Ok(HttpResponse::Created().json(InvitationResponse::from(invitation)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateUserRequest {
    /// owner, admin or member.
    role: String,
}

fn last_owner() -> ApiError {
    ApiError::conflict(
        "last_owner",
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
#[utoipa::path(
    context_path = "/api",
    tag = "team",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 403, description = "not owner/admin, or an admin touching owners"),
        (status = 404),
        (status = 409, description = "last_owner"),
        (status = 422, description = "invalid role"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    path: web::Path<Uuid>,
    body: web::Json<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
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
#[utoipa::path(
    context_path = "/api",
    tag = "team",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 403, description = "not owner/admin, or an admin removing an owner"),
        (status = 404),
        (status = 409, description = "cannot_remove_self or last_owner"),
    )
)]
#[delete("/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let id = path.into_inner();
    if auth.user_id == Some(id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "cannot_remove_self",
            "you cannot remove yourself",
        ));
    }
    let org = auth.organization_id;
    let mut conn = state.db.get().await?;
    let revoked = conn
        .transaction::<_, ApiError, _>(async move |c| {
            let target = lock_target(c, &auth, id, |u| u.role == Role::Owner.as_str()).await?;
            // The delete cascades to the sessions; their digests are needed first
            // so that cached resolutions of them can be dropped.
            let mut revoked = sessions::revoke_all_for_user(c, id).await?;
            // A key works only while its creator is a member.
            revoked.extend(api_keys::revoke_created_by(c, auth.organization_id, id).await?);
            users::delete(c, auth.organization_id, id).await?;
            audit::record(
                c,
                &auth,
                &meta,
                AuditEvent {
                    action: "user.deleted",
                    entity_type: "user",
                    entity_id: Some(id),
                    changes: json!({ "email": target.email, "role": target.role }),
                },
            )
            .await?;
            Ok(revoked)
        })
        .await?;
    crate::auth::resolve::forget_tokens(&state, org, &revoked).await;
    Ok(HttpResponse::NoContent().finish())
}
