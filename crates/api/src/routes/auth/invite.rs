//! Accepting an invitation: the invitee picks a name and password and gets
//! a session in the inviting organization.

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use crypto::token_digest;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use serde_json::json;
use storage::models::invitations;
use storage::models::organizations;
use storage::models::users::{self, NewUser};

use super::dto::SessionResponse;
use super::{email_conflict, email_taken, invalid_token};
use crate::audit::{self, AuditEvent};
use crate::auth::input::{DisplayName, NewPassword};
use crate::auth::session::{acting_user, issue};
use crate::error::{ApiError, Reply};
use crate::input::FieldErrors;
use crate::password;
use crate::request_meta::RequestMeta;
use crate::state::State;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AcceptInviteRequest {
    /// The token of the invitation link.
    #[schema(value_type = crate::input::schema::PresentText, required)]
    token: String,
    #[schema(value_type = crate::input::schema::NameText, required)]
    name: String,
    /// 8 to 128 characters.
    #[schema(value_type = crate::input::schema::PasswordText, required)]
    password: String,
}

/// Creates the invited user and a session; an invitation is used once.
#[utoipa::path(tag = "auth", request_body = AcceptInviteRequest,
    responses((status = 201, body = SessionResponse),
    (status = 400, description = "invalid_token: unknown, used or expired"),
    (status = 409, description = "email_taken")))]
#[post("/accept-invite")]
pub async fn accept_invite(
    state: State,
    meta: RequestMeta,
    body: web::Json<AcceptInviteRequest>,
) -> Reply {
    let body = body.into_inner();
    let mut errors = FieldErrors::default();
    errors.require("token", !body.token.trim().is_empty());
    let name = errors.check("name", DisplayName::parse(&body.name));
    let password = errors.check("password", NewPassword::parse(body.password));
    let (Some(name), Some(password), false) = (name, password, body.token.trim().is_empty()) else {
        return Err(errors.into_error());
    };
    let digest = token_digest(body.token.trim());

    // Looked up before hashing so a bad link costs no argon2 run; accepted
    // for real (once) inside the transaction.
    let invitation = invitations::find_live(&mut *state.db.get().await?, &digest, Utc::now())
        .await?
        .ok_or_else(invalid_token)?;
    let password_hash = password::hash(password.into_secret()).await?;

    let ttl = state.config.session_ttl_hours;
    let mut conn = state.db.get().await?;
    let (session, user) = conn
        .transaction::<_, ApiError, _>(async move |c| {
                // Serialises with invitations and role changes of this organization.
                organizations::find_for_update(c, invitation.organization_id).await?;
                let invitation = invitations::accept(c, &digest, Utc::now()).await?.ok_or_else(invalid_token)?;
                if users::find_by_email(c, &invitation.email).await?.is_some() {
                    return Err(email_taken());
                }
                let user = users::insert(
                    c,
                    &NewUser {
                        organization_id: invitation.organization_id,
                        email: invitation.email.to_lowercase(),
                        password_hash,
                        name: name.into_string(),
                        role: invitation.role.clone(),
                    },
                )
                .await
                .map_err(email_conflict)?;
                let session = issue(c, &user, &meta, ttl).await?;
                audit::record(
                    c,
                    &acting_user(&user),
                    &meta,
                    AuditEvent {
                        action: "user.joined",
                        entity_type: "user",
                        entity_id: Some(user.id),
                        changes: json!({ "email": user.email, "role": user.role, "invitationId": invitation.id }),
                    },
                )
                .await?;
                Ok((session, user))
        })
        .await?;
    Ok(HttpResponse::Created().json(SessionResponse {
        token: session.token,
        expires_at: session.expires_at,
        user: user.into(),
    }))
}
