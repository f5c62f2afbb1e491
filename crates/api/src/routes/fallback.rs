//! The answer for a request no route took: 405 `method_not_allowed` with an
//! `Allow` header when the path exists with other methods (the OpenAPI
//! document lists every path and its methods), 404 otherwise.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::{ApiError, code};
use crate::openapi::Document;

/// The methods the document gives the request's path, `None` for a path it
/// does not have.
pub fn allowed_methods(req: &HttpRequest) -> Option<Vec<String>> {
    document(req)?.methods().allowed(req.path())
}

/// The methods of the document path without parameters that is the request's.
pub fn literal_methods(req: &HttpRequest) -> Option<Vec<String>> {
    document(req)?.methods().literal(req.path())
}

fn document(req: &HttpRequest) -> Option<&Document> {
    req.app_data::<web::Data<Document>>().map(|d| d.get_ref())
}

/// 405 naming the methods the path takes.
pub fn method_not_allowed(methods: &[String]) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        code::METHOD_NOT_ALLOWED,
        "this path does not take that method",
    )
    .with_details(serde_json::json!({ "allow": methods }))
}

fn method_not_allowed_response(methods: &[String]) -> HttpResponse {
    let mut response = method_not_allowed(methods).error_response();
    if let Ok(allow) = HeaderValue::from_str(&methods.join(", ")) {
        response.headers_mut().insert(ALLOW, allow);
    }
    response
}

/// The default service of the app. Each handler is its own resource (one
/// method each), so a known path with another method also ends here.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    match allowed_methods(&req) {
        Some(methods) if !methods.is_empty() => method_not_allowed_response(&methods),
        _ => ApiError::not_found("route").error_response(),
    }
}

/// actix answers a resource's missing method with an empty 405: give it the
/// API's error body and its `Allow`.
pub fn render_405<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let methods = allowed_methods(res.request()).unwrap_or_default();
    let (req, _) = res.into_parts();
    let response = method_not_allowed_response(&methods);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body::<B>(),
    ))
}
