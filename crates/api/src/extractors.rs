//! Extractor configuration: turns body, query and path errors into the API
//! error shape with the right status (400 malformed JSON, 413 too large,
//! 415 wrong content type, 422 invalid fields, 404 malformed ids).

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};

use crate::error::ApiError;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(json_error)
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected Content-Type: application/json",
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is too large",
            )
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::validation(serde_json::json!({ "body": e.to_string() }))
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("malformed JSON: {e}"))
        }
        _ => ApiError::bad_request("bad_request", "could not read the request body"),
    };
    api.into()
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(query_error)
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::validation(serde_json::json!({ "query": err.to_string() })).into()
}

/// A path that does not parse (a malformed id) names nothing that exists,
/// unless it is a fixed path of the document under another method (405).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(path_error)
}

fn path_error(_err: PathError, req: &HttpRequest) -> actix_web::Error {
    // `PATCH /api/users/invite` reaches `/users/{id}` ("invite" is no id),
    // but the path exists, only without that method: 405 says so.
    if let Some(methods) = crate::routes::fallback::literal_methods(req)
        && !methods.iter().any(|m| m == req.method().as_str())
    {
        return crate::routes::fallback::method_not_allowed(&methods).into();
    }
    ApiError::not_found("resource").into()
}
