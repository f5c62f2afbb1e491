//! `POST /api/users/invite`: an invitation within the plan's `max_users`, its mail queued with a sealed link.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use crypto::{generate_token, token_digest};
use serde::{Deserialize, Serialize};
use serde_json::json;
use storage::models::email_outbox::{self, NewOutboxEmail};
use storage::models::invitations::{self, Invitation, NewInvitation};
use storage::models::organizations;
use storage::models::users::{self};
use uuid::Uuid;

use crate::audited::{AdminWrite, Change, audited};
use crate::auth::input::Email;
use crate::error::{ApiError, Reply, code};
use crate::input::{FieldErrors, schema};

use super::parse_role;

crate::wire_rule!(
    /// A role an invitation may give (`parse_role` without owner).
    InviteRole,
    schema::one_of(["admin", "member"])
);

/// Prefix of invitation tokens.
pub(super) const INVITE_TOKEN_PREFIX: &str = "esi";
pub(super) const INVITE_TTL: chrono::Duration = chrono::Duration::days(7);

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct InviteRequest {
    #[schema(value_type = schema::EmailText, required)]
    pub(super) email: String,
    #[schema(value_type = InviteRole, required)]
    pub(super) role: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationResponse {
    pub(super) id: Uuid,
    pub(super) email: String,
    pub(super) role: String,
    pub(super) invited_by: Option<Uuid>,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) created_at: DateTime<Utc>,
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
#[utoipa::path(tag = "team", request_body = InviteRequest,
    responses((status = 201, body = InvitationResponse),
    (status = 403, description = "not owner/admin, or plan_limit_reached"),
    (status = 409, description = "already_member or already_invited")))]
#[post("/invite")]
pub async fn invite_user(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<InviteRequest>,
) -> Reply {
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
    let (org_id, invited_by) = (auth.organization_id, auth.user_id);
    let key = state.encryption.clone();
    let (invitation, mail) = audited(&state, &auth, &meta, &[], move |c| {
        Box::pin(async move {
            // The lock makes "count seats, then insert" atomic per organization.
            let org = organizations::find_for_update(c, org_id).await?;
            // A user of another organization is not revealed here; the
            // acceptance answers email_taken to the invitee instead.
            if users::find_by_email(c, email.as_str())
                .await?
                .is_some_and(|u| u.organization_id == org_id)
            {
                return Err(ApiError::conflict(
                    code::ALREADY_MEMBER,
                    "this address already belongs to a member",
                ));
            }
            let now = Utc::now();
            if let Some(existing) =
                invitations::find_unaccepted_by_email(c, org_id, email.as_str()).await?
            {
                if existing.expires_at > now {
                    return Err(ApiError::conflict(
                        code::ALREADY_INVITED,
                        "this address already has a pending invitation",
                    ));
                }
                invitations::delete(c, org_id, existing.id).await?;
            }
            let seats =
                users::count(c, org_id).await? + invitations::count_pending(c, org_id, now).await?;
            if seats >= i64::from(org.max_users) {
                return Err(ApiError::forbidden(
                    code::PLAN_LIMIT_REACHED,
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
                    invited_by,
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
                    data: crypto::sealed_link::seal(
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
            let changes = json!({ "email": invitation.email, "role": invitation.role });
            let id = invitation.id;
            Ok(Change::new(
                (invitation, mail.id),
                "invitation.created",
                Some(id),
                changes,
            ))
        })
    })
    .await?;
    state.jobs.enqueue_email(mail).await;
    Ok(HttpResponse::Created().json(InvitationResponse::from(invitation)))
}
