//! Conversions into `ApiError`: database errors by kind (NotFound 404,
//! unique 409, check 422, lost connection 503), pool timeouts 503, page
//! bounds 422, anything else a logged 500.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::json;

use super::{ApiError, code};

impl From<DieselError> for ApiError {
    fn from(e: DieselError) -> Self {
        match &e {
            DieselError::NotFound => Self::not_found("resource"),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => Self::conflict(
                    code::ALREADY_EXISTS,
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
                // The last line of defence behind the text checks at the edge:
                // a NUL that slipped through is the client's input, not a bug.
                DatabaseErrorKind::Unknown if is_text_rejection(info.message()) => Self::new(
                    actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                    code::INVALID_TEXT,
                    "text must not contain NUL characters",
                ),
                _ => Self::internal(e),
            },
            _ => Self::internal(e),
        }
    }
}

/// Postgres' words for a NUL in `text` (22021) or `\u0000` in `jsonb` (22P05).
fn is_text_rejection(message: &str) -> bool {
    message.starts_with("invalid byte sequence for encoding")
        || message.starts_with("unsupported Unicode escape sequence")
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
    use actix_web::http::StatusCode;

    #[test]
    fn database_errors_map_to_their_statuses() {
        let db =
            |kind, message: &str| DieselError::DatabaseError(kind, Box::new(message.to_owned()));
        let status = |e: DieselError| ApiError::from(e).status;
        assert_eq!(status(DieselError::NotFound), StatusCode::NOT_FOUND);
        for (kind, message, expected) in [
            (
                DatabaseErrorKind::UniqueViolation,
                "dup",
                StatusCode::CONFLICT,
            ),
            (
                DatabaseErrorKind::CheckViolation,
                "check",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                DatabaseErrorKind::ClosedConnection,
                "gone",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                DatabaseErrorKind::Unknown,
                "connection closed",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                DatabaseErrorKind::Unknown,
                "syntax error",
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ] {
            assert_eq!(status(db(kind, message)), expected, "{message}");
        }
        let nul = ApiError::from(db(
            DatabaseErrorKind::Unknown,
            "invalid byte sequence for encoding \"UTF8\": 0x00",
        ));
        assert_eq!(
            (nul.status, nul.code),
            (StatusCode::UNPROCESSABLE_ENTITY, code::INVALID_TEXT)
        );
    }
}
