//! Authentication routes: registration, login and logout, the caller's
//! profile, accepting invitations and resetting passwords.

pub mod dto;
mod invite;
mod password;
mod session;
/// `/api/user/profile`: outside the `/auth` scope, registered by `routes::configure_api`.
pub(crate) use session::profile;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(session::register)
        .service(session::login)
        .service(session::logout)
        .service(invite::accept_invite)
        .service(password::forgot_password)
        .service(password::reset_password);
}

/// 400 for a reset or invitation token that is unknown, used or expired.
fn invalid_token() -> crate::error::ApiError {
    crate::error::ApiError::bad_request(
        "invalid_token",
        "the link is invalid, already used or expired",
    )
}

/// 409 `email_taken` for a unique violation on the address, else the usual
/// mapping of database errors.
fn email_conflict(e: diesel::result::Error) -> crate::error::ApiError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => email_taken(),
        other => other.into(),
    }
}

fn email_taken() -> crate::error::ApiError {
    crate::error::ApiError::conflict(
        "email_taken",
        "an account with this e-mail address already exists",
    )
}
