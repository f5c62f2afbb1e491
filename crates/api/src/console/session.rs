//! Console sessions: signing in with the platform ADMIN_TOKEN creates a
//! session in Redis (keyed by the digest of its cookie, with its CSRF token
//! and an expiry); the cookie is HttpOnly, SameSite=Strict, scoped to
//! `/admin`, and Secure when the request came over TLS. The `Console`
//! extractor admits a request only with a live session; everything else
//! (no cookie, an expired one, an organization's bearer token) gets the
//! sign-in page and no data.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use jobs::control::ConsoleKeys;
use subtle::ConstantTimeEq;

use super::page_error::PageError;
use crate::state::AppState;

pub const COOKIE: &str = "esx_console";
/// A session ends this long after sign-in, used or not.
pub const SESSION_TTL_SECS: u64 = 8 * 60 * 60;

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Console {
    /// Public id of the session (a prefix of its digest), for the audit.
    pub actor: String,
    pub csrf: String,
    digest: String,
}

impl Console {
    /// Whether a submitted form carries this session's CSRF token.
    pub fn csrf_ok(&self, given: &str) -> bool {
        bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes()))
    }

    /// Leaves `message` for the next page this session sees (what an
    /// action did, shown once after its redirect).
    pub async fn flash(&self, state: &AppState, message: String) {
        let key = ConsoleKeys::new(state.redis.prefix()).session(&self.digest);
        let _ = state
            .redis
            .run(|mut c| async move {
                redis::cmd("HSET")
                    .arg(key)
                    .arg("flash")
                    .arg(message)
                    .query_async::<()>(&mut *c)
                    .await
            })
            .await;
    }

    /// The message an action left, removed as it is read.
    pub async fn take_flash(&self, state: &AppState) -> Option<String> {
        let key = ConsoleKeys::new(state.redis.prefix()).session(&self.digest);
        state
            .redis
            .run(|mut c| async move {
                let (flash, _): (Option<String>, i64) = redis::pipe()
                    .hget(&key, "flash")
                    .hdel(&key, "flash")
                    .query_async(&mut *c)
                    .await?;
                Ok(flash)
            })
            .await
            .ok()
            .flatten()
    }

    pub async fn end(&self, state: &AppState) {
        let key = ConsoleKeys::new(state.redis.prefix()).session(&self.digest);
        let _ = state
            .redis
            .run(|mut c| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut *c).await })
            .await;
    }
}

fn digest(cookie: &str) -> String {
    hex::encode(crypto::token_digest(cookie))
}

/// The public name of the session holding `secret`: a prefix of its digest
/// (the audit can tell sessions apart without holding anything usable).
pub fn actor_of(secret: &str) -> String {
    format!("console-{}", &digest(secret)[..12])
}

/// Creates a session; returns its cookie.
pub async fn start(state: &AppState, req: &HttpRequest) -> Result<Cookie<'static>, PageError> {
    let secret = crypto::generate_token("esc");
    let csrf = crypto::generate_token("csrf");
    let digest = digest(&secret);
    let key = ConsoleKeys::new(state.redis.prefix()).session(&digest);
    let actor = actor_of(&secret);
    state
        .redis
        .run(|mut c| async move {
            redis::pipe()
                .hset_multiple(&key, &[("csrf", csrf), ("actor", actor)])
                .ignore()
                .expire(&key, SESSION_TTL_SECS as i64)
                .ignore()
                .query_async::<()>(&mut *c)
                .await
        })
        .await
        .map_err(PageError::redis)?;
    Ok(cookie(
        req,
        secret,
        time::Duration::seconds(SESSION_TTL_SECS as i64),
    ))
}

/// The session cookie (an empty one that expires at once, to sign out).
pub fn cookie(req: &HttpRequest, value: String, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_tls(req))
        .max_age(max_age)
        .finish()
}

/// TLS here, or at the proxy in front (`X-Forwarded-Proto: https`): a
/// Secure cookie over plain HTTP would never come back.
fn over_tls(req: &HttpRequest) -> bool {
    req.app_config().secure() || req.connection_info().scheme() == "https"
}

async fn lookup(state: web::Data<AppState>, cookie: Option<String>) -> Result<Console, PageError> {
    if state.config.admin_token.is_none() {
        return Err(PageError::disabled());
    }
    let Some(secret) = cookie.filter(|c| !c.is_empty()) else {
        return Err(PageError::sign_in(None));
    };
    let digest = digest(&secret);
    let key = ConsoleKeys::new(state.redis.prefix()).session(&digest);
    let (csrf, actor): (Option<String>, Option<String>) = state
        .redis
        .run(|mut c| async move {
            redis::cmd("HMGET")
                .arg(key)
                .arg("csrf")
                .arg("actor")
                .query_async(&mut *c)
                .await
        })
        .await
        .map_err(PageError::redis)?;
    match (csrf, actor) {
        (Some(csrf), Some(actor)) => Ok(Console {
            actor,
            csrf,
            digest,
        }),
        _ => Err(PageError::sign_in(Some(
            "Your session ended. Sign in again.",
        ))),
    }
}

impl FromRequest for Console {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let cookie = req.cookie(COOKIE).map(|c| c.value().to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::internal("AppState not registered"))?;
            lookup(state, cookie).await
        })
    }
}
