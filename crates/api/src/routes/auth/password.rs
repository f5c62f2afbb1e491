//! Forgotten passwords: a one-hour, single-use reset link by e-mail, and the
//! reset itself, which ends every session of the user.

use std::time::Duration;

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use crypto::{generate_token, token_digest};
use diesel_async::AsyncConnection;
use kv::rate_limit::{self, Limit};
use serde::{Deserialize, Serialize};
use serde_json::json;
use storage::models::email_outbox::{self, NewOutboxEmail};
use storage::models::password_resets::{self, NewPasswordReset};
use storage::models::sessions;
use storage::models::users::{self, UserUpdate};

use super::invalid_token;
use crate::audit::{self, AuditEvent};
use crate::auth::input::{Email, NewPassword};
use crate::auth::session::acting_user;
use crate::error::{ApiError, Reply};
use crate::input::FieldErrors;
use crate::password;
use crate::request_meta::RequestMeta;
use crate::state::State;

/// Prefix of password reset tokens.
const RESET_TOKEN_PREFIX: &str = "esr";
const RESET_TTL: chrono::Duration = chrono::Duration::hours(1);
/// Reset mails per address per hour: enough for a user, too few to flood
/// someone's mailbox through this form.
const RESET_MAILS_PER_HOUR: u32 = 5;

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ForgotPasswordRequest {
    #[schema(value_type = crate::input::schema::EmailText, required)]
    email: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ForgotPasswordResponse {
    message: &'static str,
}

/// Queues a reset link if the address belongs to an active user; the answer
/// is the same whether or not it does.
#[utoipa::path(tag = "auth", request_body = ForgotPasswordRequest,
    responses((status = 202, body = ForgotPasswordResponse),
    (status = 422, description = "not an e-mail address")))]
#[post("/forgot-password")]
pub async fn forgot_password(state: State, body: web::Json<ForgotPasswordRequest>) -> Reply {
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", Email::parse(&body.email)) else {
        return Err(errors.into_error());
    };
    let accepted = HttpResponse::Accepted().json(ForgotPasswordResponse {
        message: "If an account exists for this address, a reset link has been sent.",
    });

    let mut conn = state.db.get().await?;
    let Some(user) = users::find_by_email(&mut conn, email.as_str()).await? else {
        return Ok(accepted);
    };
    if user.status != "active" {
        return Ok(accepted);
    }
    let limit = Limit::new(RESET_MAILS_PER_HOUR, Duration::from_secs(3600));
    if rate_limit::hit(&state.redis, "password_reset", &user.id.to_string(), limit)
        .await
        .is_limited()
    {
        tracing::info!(user.id = %user.id, "password reset mail skipped: hourly limit");
        return Ok(accepted);
    }

    let token = generate_token(RESET_TOKEN_PREFIX);
    let expires_at = Utc::now() + RESET_TTL;
    let reset_url = format!(
        "{}/reset-password?token={token}",
        state.config.public_app_url.trim_end_matches('/')
    );
    // The link carries the bearer token: sealed, never in the clear at rest.
    let mail_data = crypto::sealed_link::seal(
        json!({ "name": user.name, "expiresAt": expires_at }),
        &state.encryption,
        &reset_url,
    );
    let mail = conn
        .transaction::<_, ApiError, _>(async move |c| {
            password_resets::insert(
                c,
                &NewPasswordReset {
                    user_id: user.id,
                    token_hash: token_digest(&token),
                    expires_at,
                },
            )
            .await?;
            let mail = email_outbox::insert(
                c,
                &NewOutboxEmail {
                    organization_id: Some(user.organization_id),
                    to_address: user.email.clone(),
                    template: email_outbox::template::PASSWORD_RESET.into(),
                    data: mail_data,
                },
            )
            .await?;
            Ok(mail.id)
        })
        .await?;
    state.jobs.enqueue_email(mail).await;
    Ok(accepted)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ResetPasswordRequest {
    /// The token of the reset link.
    #[schema(value_type = crate::input::schema::PresentText, required)]
    token: String,
    /// 8 to 128 characters.
    #[schema(value_type = crate::input::schema::PasswordText, required)]
    password: String,
}

/// Sets a new password with a reset token (once) and revokes every session
/// of the user.
#[utoipa::path(tag = "auth", request_body = ResetPasswordRequest, responses((status = 204),
    (status = 400, description = "invalid_token: unknown, used or expired")))]
#[post("/reset-password")]
pub async fn reset_password(
    state: State,
    meta: RequestMeta,
    body: web::Json<ResetPasswordRequest>,
) -> Reply {
    let body = body.into_inner();
    let mut errors = FieldErrors::default();
    errors.require("token", !body.token.trim().is_empty());
    let password = errors.check("password", NewPassword::parse(body.password));
    let (Some(password), false) = (password, body.token.trim().is_empty()) else {
        return Err(errors.into_error());
    };
    let digest = token_digest(body.token.trim());
    password_resets::find_live(&mut *state.db.get().await?, &digest, Utc::now())
        .await?
        .ok_or_else(invalid_token)?;
    let password_hash = password::hash(password.into_secret()).await?;

    let mut conn = state.db.get().await?;
    let (org, revoked) = conn
        .transaction::<_, ApiError, _>(async move |c| {
            let now = Utc::now();
            // Consumed in one statement: a second use of the token finds nothing.
            let reset = password_resets::consume(c, &digest, now)
                .await?
                .ok_or_else(invalid_token)?;
            let user = users::find_by_id(c, reset.user_id)
                .await?
                .ok_or_else(invalid_token)?;
            let changes = UserUpdate {
                password_hash: Some(password_hash),
                ..UserUpdate::default()
            };
            let user = users::update(c, user.organization_id, user.id, &changes).await?;
            let revoked = sessions::revoke_all_for_user(c, user.id).await?;
            password_resets::invalidate_for_user(c, user.id, now).await?;
            audit::record(
                c,
                &acting_user(&user),
                &meta,
                AuditEvent {
                    action: "user.password_reset",
                    entity_type: "user",
                    entity_id: Some(user.id),
                    changes: json!({ "sessionsRevoked": revoked.len() }),
                },
            )
            .await?;
            Ok((user.organization_id, revoked))
        })
        .await?;
    crate::auth::resolve::forget_tokens(&state, org, &revoked).await;
    Ok(HttpResponse::NoContent().finish())
}
