//! The one API error type: every failure answers
//! `{"error": {"code", "message", "details"}}` with the right status and a
//! stable machine-readable code. Unexpected failures are logged once here,
//! with their cause chain, and the client gets a generic message.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Value, json};

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
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// The same answer for "does not exist" and "belongs to someone else".
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
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
            "validation_failed",
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
            "rate_limited",
            "too many requests, retry later",
        );
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }

    pub fn unavailable(what: &str, cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            format!("{what} is unavailable"),
        );
        e.retry_after = Some(1);
        e.source = Some(cause.into());
        e
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
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

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => Self::not_found("resource"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => Self::conflict(
                    "already_exists",
                    "a resource with these values already exists",
                )
                .with_details(json!({ "constraint": info.constraint_name() })),
                DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                    let field = info
                        .column_name()
                        .or(info.constraint_name())
                        .unwrap_or("body");
                    Self::invalid_field(field, "value is not allowed")
                }
                DatabaseErrorKind::ForeignKeyViolation => Self::invalid_field(
                    info.constraint_name().unwrap_or("reference"),
                    "referenced resource does not exist",
                ),
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure => {
                    Self::unavailable("database", e)
                }
                // diesel-async reports a connection that died mid-query (a
                // Postgres restart, a shutdown) as an unknown error with this
                // text: a dependency failure, not a bug.
                DatabaseErrorKind::Unknown if info.message() == "connection closed" => {
                    Self::unavailable("database", e)
                }
                _ => Self::internal(e),
            },
            _ => Self::internal(e),
        }
    }
}

impl From<storage::db::PoolError> for ApiError {
    fn from(e: storage::db::PoolError) -> Self {
        Self::unavailable("database", e)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

impl From<storage::pagination::PageError> for ApiError {
    fn from(e: storage::pagination::PageError) -> Self {
        let field = match e {
            storage::pagination::PageError::Page => "page",
            storage::pagination::PageError::Limit => "limit",
        };
        Self::invalid_field(field, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_map_to_their_statuses() {
        let db =
            |kind, message: &str| DieselError::DatabaseError(kind, Box::new(message.to_owned()));
        let status = |e: DieselError| ApiError::from(e).status;
        assert_eq!(status(DieselError::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status(db(DatabaseErrorKind::UniqueViolation, "dup")),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status(db(DatabaseErrorKind::CheckViolation, "check")),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            status(db(DatabaseErrorKind::ClosedConnection, "gone")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(db(DatabaseErrorKind::Unknown, "connection closed")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status(db(DatabaseErrorKind::Unknown, "syntax error")),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
