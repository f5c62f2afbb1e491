//! Signing in and out of the console. `POST /admin/login` takes the form
//! field `token`: the platform ADMIN_TOKEN, compared in constant time. Wrong
//! tokens count against the client address (LOGIN_MAX_FAILURES_PER_IP per
//! LOGIN_WINDOW_SECS, then 429), never against the operator account, so a
//! guesser cannot lock the operator out. Each sign-in is audited.

use std::time::Duration;

use actix_web::cookie::time;
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use kv::rate_limit::{self, Limit};
use minijinja::context;
use secrecy::SecretString;
use serde::Deserialize;

use super::audit::record;
use super::page_error::PageError;
use super::render;
use super::session::{self, Console};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

const SCOPE: &str = "console_login_ip";

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

#[get("/admin/login")]
pub async fn login_form(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    if state.config.admin_token.is_none() {
        return Err(PageError::disabled());
    }
    Ok(render::ok("login.html", context! {}))
}

#[post("/admin/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let Some(expected) = state.config.admin_token.clone() else {
        return Err(PageError::disabled());
    };
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let limit = Limit::new(
        state.config.login_max_failures_per_ip,
        Duration::from_secs(state.config.login_window_secs),
    );
    let outcome = rate_limit::hit(&state.redis, SCOPE, &ip, limit).await;
    if let Some(secs) = outcome.retry_after_secs() {
        tracing::info!(client.ip = %ip, "console sign-in throttled");
        return Err(PageError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!("Too many wrong tokens from this address; try again in {secs} s."),
        ));
    }
    if !good_token(&form.token, &expected) {
        record(
            &state,
            "anonymous",
            &meta,
            "console.sign_in",
            None,
            None,
            "wrong_token",
        )
        .await;
        return Err(PageError::sign_in(Some("That is not the operator token.")));
    }
    rate_limit::release(&state.redis, SCOPE, &ip).await;
    let cookie = session::start(&state, &req).await?;
    let actor = session::actor_of(cookie.value());
    record(
        &state,
        &actor,
        &meta,
        "console.sign_in",
        None,
        None,
        "signed_in",
    )
    .await;
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((LOCATION, "/admin"))
        .finish())
}

fn good_token(given: &str, expected: &SecretString) -> bool {
    !given.is_empty() && crate::auth::secret::matches(given.trim(), expected)
}

#[post("/admin/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    console: Console,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    if !console.csrf_ok(&form.csrf) {
        return Err(PageError::csrf());
    }
    console.end(&state).await;
    record(
        &state,
        &console.actor,
        &meta,
        "console.sign_out",
        None,
        None,
        "signed_out",
    )
    .await;
    Ok(HttpResponse::SeeOther()
        .cookie(session::cookie(&req, String::new(), time::Duration::ZERO))
        .insert_header((LOCATION, "/admin/login"))
        .finish())
}
