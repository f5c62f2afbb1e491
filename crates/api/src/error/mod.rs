//! The one API error type: every failure answers
//! `{"error": {"code", "message", "details"}}` with the right status and a
//! stable machine-readable code. Unexpected failures are logged once here,
//! with their cause chain, and the client gets a generic message. Codes
//! come from the catalogue in `code`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

mod from;
mod not_found;

pub mod code;
pub use not_found::OrNotFound;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
    retry_after: Option<u64>,
    /// The cause of a 500 or 503, logged when the response is built.
    source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// What a handler answers: a response, or an error rendered by `ApiError`.
pub type Reply = ApiResult<actix_web::HttpResponse>;

/// The body of every error answer, as the OpenAPI document shows it.
#[derive(utoipa::ToSchema)]
pub struct ApiErrorBody {
    #[schema(inline)]
    pub error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable; the catalogue is in docs/API.md.
    pub code: String,
    pub message: String,
    /// `fields` for 422 (field name to reason), other facts for other codes.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
            source: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code::UNAUTHORIZED, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// The same answer for "does not exist" and "belongs to someone else".
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            code::NOT_FOUND,
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422 naming each invalid field: `details: {"fields": {"name": "..."}}`.
    pub fn validation(fields: Value) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code::VALIDATION_FAILED,
            "request validation failed",
        )
        .with_details(json!({ "fields": fields }))
    }

    /// 422 for a single field.
    pub fn invalid_field(field: &str, reason: impl Into<String>) -> Self {
        let mut fields = serde_json::Map::new();
        fields.insert(field.to_owned(), Value::String(reason.into()));
        Self::validation(Value::Object(fields))
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code::RATE_LIMITED,
            "too many requests, retry later",
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn unavailable(what: &str, cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code::SERVICE_UNAVAILABLE,
            format!("{what} is unavailable"),
        );
        e.retry_after = Some(1);
        e.source = Some(cause.into());
        e
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code::INTERNAL_ERROR,
            "internal server error",
        );
        e.source = Some(cause.into());
        e
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            if self.status.is_server_error() && self.status != StatusCode::SERVICE_UNAVAILABLE {
                tracing::error!(
                    error.code = self.code,
                    error.cause = format!("{source:#}"),
                    "request failed"
                );
            } else {
                tracing::warn!(
                    error.code = self.code,
                    error.cause = format!("{source:#}"),
                    "dependency unavailable"
                );
            }
        }
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.insert_header((header::RETRY_AFTER, value));
        }
        response.json(json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        }))
    }
}
