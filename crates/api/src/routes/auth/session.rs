//! Register, login, logout and profile.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use crypto::token_digest;
use diesel_async::AsyncConnection;
use kv::cache::Namespace;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use storage::models::email_outbox::{self, NewOutboxEmail};
use storage::models::organizations::{self, NewOrganization};
use storage::models::sessions;
use storage::models::users::{self, NewUser, UserUpdate};

use super::dto::{
    OrganizationResponse, ProfileResponse, RegisterResponse, SessionResponse, UserResponse,
};
use super::{email_conflict, email_taken};
use crate::audit::{self, AuditEvent};
use crate::auth::input::{DisplayName, Email, NewPassword};
use crate::auth::principal::bearer_token;
use crate::auth::session::{acting_user, issue};
use crate::auth::throttle::LoginThrottle;
use crate::auth::{AuthUser, Role};
use crate::cached::cached_json;
use crate::error::{ApiError, Reply};
use crate::input::FieldErrors;
use crate::input::text::is_clean;
use crate::password;
use crate::request_meta::RequestMeta;
use crate::state::State;

/// Plan of a self-registered organization (the migration's defaults).
const SIGNUP_PLAN: &str = "free";
const SIGNUP_MAX_AGENTS: i32 = 10;
const SIGNUP_MAX_USERS: i32 = 5;

/// Missing fields read as empty, so the 422 names them like any other.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RegisterRequest {
    #[schema(value_type = crate::input::schema::EmailText, required)]
    email: String,
    /// 8 to 128 characters.
    #[schema(value_type = crate::input::schema::PasswordText, required)]
    password: String,
    #[schema(value_type = crate::input::schema::NameText, required)]
    name: String,
    #[schema(value_type = crate::input::schema::NameText, required)]
    organization_name: String,
}

/// Creates an organization, its owner and a session, and queues a welcome mail.
#[utoipa::path(tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, description = "email_taken")))]
#[post("/register")]
pub async fn register(state: State, meta: RequestMeta, body: web::Json<RegisterRequest>) -> Reply {
    let body = body.into_inner();
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&body.email));
    let password = errors.check("password", NewPassword::parse(body.password));
    let name = errors.check("name", DisplayName::parse(&body.name));
    let org_name = errors.check(
        "organizationName",
        DisplayName::parse(&body.organization_name),
    );
    let (Some(email), Some(password), Some(name), Some(org_name)) =
        (email, password, name, org_name)
    else {
        return Err(errors.into_error());
    };

    // Checked before hashing so a taken address costs no argon2 run; the
    // unique index still decides a race.
    if users::find_by_email(&mut *state.db.get().await?, email.as_str())
        .await?
        .is_some()
    {
        return Err(email_taken());
    }
    let password_hash = password::hash(password.into_secret()).await?;

    let ttl = state.config.session_ttl_hours;
    let login_url = format!(
        "{}/login",
        state.config.public_app_url.trim_end_matches('/')
    );
    let mut conn = state.db.get().await?;
    let (session, user, org, welcome) = conn
        .transaction::<_, ApiError, _>(async move |c| {
                let org_name = org_name.into_string();
                let org = organizations::insert(
                    c,
                    &NewOrganization {
                        name: org_name.clone(),
                        subdomain: None,
                        plan: SIGNUP_PLAN.into(),
                        max_agents: SIGNUP_MAX_AGENTS,
                        max_users: SIGNUP_MAX_USERS,
                    },
                )
                .await?;
                let user = users::insert(
                    c,
                    &NewUser {
                        organization_id: org.id,
                        email: email.into_string(),
                        password_hash,
                        name: name.into_string(),
                        role: Role::Owner.as_str().into(),
                    },
                )
                .await
                .map_err(email_conflict)?;
                let session = issue(c, &user, &meta, ttl).await?;
                let welcome = email_outbox::insert(
                    c,
                    &NewOutboxEmail {
                        organization_id: Some(org.id),
                        to_address: user.email.clone(),
                        template: email_outbox::template::WELCOME.into(),
                        data: json!({ "name": user.name, "organizationName": org_name, "loginUrl": login_url }),
                    },
                )
                .await?;
                audit::record(
                    c,
                    &acting_user(&user),
                    &meta,
                    AuditEvent {
                        action: "user.registered",
                        entity_type: "user",
                        entity_id: Some(user.id),
                        changes: json!({ "email": user.email, "role": user.role, "organizationId": org.id }),
                    },
                )
                .await?;
                Ok((session, user, org, welcome.id))
        })
        .await?;
    // After commit: the worker must find the row.
    state.jobs.enqueue_email(welcome).await;
    tracing::info!(user.id = %user.id, organization.id = %org.id, "organization registered");
    Ok(HttpResponse::Created().json(RegisterResponse {
        token: session.token,
        expires_at: session.expires_at,
        user: user.into(),
        organization: org.into(),
    }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginRequest {
    #[schema(value_type = crate::input::schema::PresentText, required)]
    email: String,
    #[schema(value_type = crate::input::schema::NonEmptyText, required)]
    password: String,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "invalid e-mail or password",
    )
}

/// Exchanges e-mail and password for a session token. Unknown addresses and
/// wrong passwords get the same answer in about the same time; repeated
/// failures per account or per client address answer 429.
#[utoipa::path(tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse),
    (status = 401, description = "invalid_credentials"),
    (status = 422, description = "missing fields"),
    (status = 429, description = "too many failed attempts; see Retry-After")))]
#[post("/login")]
pub async fn login(state: State, meta: RequestMeta, body: web::Json<LoginRequest>) -> Reply {
    let LoginRequest { email, password } = body.into_inner();
    // Only presence is checked: any other malformed input is just a wrong
    // credential, answered like one.
    let mut errors = FieldErrors::default();
    errors.require("email", !email.trim().is_empty());
    errors.require("password", !password.is_empty());
    errors.finish()?;
    let password = SecretString::from(password);

    let throttle = LoginThrottle::new(&state.redis, &state.config, &email, meta.ip.as_deref());
    // Reserved before the password is checked: parallel guesses each take
    // a slot, and only `login_max_failures` of them reach argon2.
    let attempt = throttle.reserve().await?;

    let checked = async {
        // The connection goes back to the pool before argon2 runs.
        // An address with a control character (a NUL) names no account and
        // never reaches the database, which could not compare it anyway.
        let user = if is_clean(email.trim()) {
            users::find_by_email(&mut *state.db.get().await?, email.trim()).await?
        } else {
            None
        };
        let verified = match &user {
            Some(user) => password::verify(password, user.password_hash.clone()).await?,
            None => password::verify_dummy(password).await?,
        };
        Ok::<_, ApiError>((user, verified))
    };
    let (user, verified) = match checked.await {
        Ok(checked) => checked,
        Err(e) => {
            // No password was judged: the attempt must not count.
            attempt.abandoned().await;
            return Err(e);
        }
    };
    let user = match user {
        Some(user) if verified && user.status == "active" => user,
        _ => {
            attempt.failed();
            return Err(invalid_credentials());
        }
    };
    attempt.succeeded().await;

    let mut conn = state.db.get().await?;
    let session = issue(&mut conn, &user, &meta, state.config.session_ttl_hours).await?;
    let changes = UserUpdate {
        last_login_at: Some(Some(Utc::now())),
        ..UserUpdate::default()
    };
    let user = users::update(&mut conn, user.organization_id, user.id, &changes).await?;
    crate::cached::invalidate(&state, user.organization_id, &[Namespace::User]).await;
    Ok(HttpResponse::Ok().json(SessionResponse {
        token: session.token,
        expires_at: session.expires_at,
        user: user.into(),
    }))
}

/// Revokes the session token of the request at once.
#[utoipa::path(tag = "auth", responses((status = 204),
    (status = 403, description = "called with an API key")))]
#[post("/logout")]
pub async fn logout(state: State, auth: AuthUser, req: HttpRequest) -> Reply {
    auth.require_user()?;
    let token = bearer_token(&req).ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
    let digest = token_digest(token);
    sessions::revoke(&mut *state.db.get().await?, &digest).await?;
    crate::auth::resolve::forget_tokens(&state, auth.organization_id, &[digest]).await;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller with its organization.
#[utoipa::path(tag = "auth", responses((status = 200, body = ProfileResponse),
    (status = 404, description = "an API key whose creator is gone")))]
#[get("/user/profile")]
pub async fn profile(state: State, auth: AuthUser) -> Reply {
    let user_id = auth.user_id.ok_or_else(|| ApiError::not_found("user"))?;
    let org = auth.organization_id;
    // Cached: every change of a user (login, role, removal, password) drops
    // the organization's `user` answers (see `auth::resolve::forget_tokens`).
    let key = format!("profile:{}", user_id.simple());
    cached_json(&state, Namespace::User, org, &key, || async {
        let mut conn = state.db.get().await?;
        let user = users::find(&mut conn, org, user_id).await?;
        let org = organizations::find(&mut conn, org).await?;
        Ok(ProfileResponse {
            user: UserResponse::from(user),
            organization: OrganizationResponse::from(org),
        })
    })
    .await
}
