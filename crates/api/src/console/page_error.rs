//! Why a console request gets no data, as an HTML page: the sign-in form
//! (401: no session, wrong token), the console being disabled (404 without
//! ADMIN_TOKEN), or an error page (bad input 4xx, Redis or Postgres down
//! 503, anything else 500, logged once here).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use jobs::JobsError;
use minijinja::context;

use super::render;

#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    /// `sign_in`, `disabled` or a stable error code.
    code: &'static str,
    message: String,
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl PageError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn sign_in(message: Option<&str>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "sign_in",
            message.unwrap_or_default(),
        )
    }

    pub fn disabled() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "admin_disabled",
            "The operator console is disabled: no ADMIN_TOKEN is configured.",
        )
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "This form has expired or did not come from the console. Reload the page and try again.",
        )
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No such {what}."),
        )
    }

    pub fn redis(error: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %error, "console: redis unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "redis_unavailable",
            "Redis did not answer; try again in a moment.",
        )
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(error = %error, "console: unexpected error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side.",
        )
    }
}

impl From<JobsError> for PageError {
    fn from(e: JobsError) -> Self {
        match e {
            JobsError::NotFound(_) => {
                Self::not_found("job (it may have been retried or discarded already)")
            }
            JobsError::Database(e) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                format!("The database did not answer ({e})."),
            ),
            JobsError::Json(e) => Self::internal(e),
            other @ (JobsError::Redis(_) | JobsError::Command(_) | JobsError::Backend(_)) => {
                Self::redis(other)
            }
        }
    }
}

impl From<storage::db::PoolError> for PageError {
    fn from(e: storage::db::PoolError) -> Self {
        tracing::warn!(error = %e, "console: database unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            "The database did not answer; try again in a moment.",
        )
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let (template, ctx) = match self.code {
            "sign_in" => ("login.html", context! { message => self.message }),
            _ => (
                "error.html",
                context! { code => self.code, message => self.message, status => self.status.as_u16() },
            ),
        };
        render::page(self.status, template, ctx)
    }
}
