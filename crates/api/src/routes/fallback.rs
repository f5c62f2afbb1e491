//! The answer for a request no route took: 405 `method_not_allowed` with an
//! `Allow` header when the path exists with other methods (the OpenAPI
//! document lists every path and its methods), 404 otherwise.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::{ApiError, code};

/// The methods the document gives `path`, upper-case, or `None` for a path
/// it does not have.
pub fn allowed_methods(path: &str) -> Option<Vec<String>> {
    let doc = crate::openapi::document();
    let (_, item) = doc
        .paths
        .paths
        .iter()
        .find(|(template, _)| matches(template, path))?;
    let value = serde_json::to_value(item).ok()?;
    let methods: Vec<String> = value
        .as_object()?
        .keys()
        .filter(|k| k.parse::<actix_web::http::Method>().is_ok() && k.as_str() != "parameters")
        .map(|k| k.to_uppercase())
        .collect();
    Some(methods)
}

/// The methods of a document path without parameters equal to `path`.
pub fn literal_methods(path: &str) -> Option<Vec<String>> {
    let doc = crate::openapi::document();
    let item = doc.paths.paths.get(path.trim_end_matches('/'))?;
    Some(methods_of(item))
}

fn methods_of(item: &utoipa::openapi::PathItem) -> Vec<String> {
    let value = serde_json::to_value(item).unwrap_or_default();
    value
        .as_object()
        .map(|o| {
            o.keys()
                .filter(|k| {
                    k.parse::<actix_web::http::Method>().is_ok() && k.as_str() != "parameters"
                })
                .map(|k| k.to_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

/// `/api/agents/{id}` matches `/api/agents/123`: a `{name}` stands for one
/// non-empty segment.
fn matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.trim_end_matches('/').split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty() => {}
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
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

/// The default service of the app.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    match allowed_methods(req.path()) {
        Some(methods) if !methods.is_empty() => method_not_allowed_response(&methods),
        _ => ApiError::not_found("route").error_response(),
    }
}

/// actix answers a resource's missing method with an empty 405: give it the
/// API's error body and its `Allow`.
pub fn render_405<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let methods = allowed_methods(res.request().path()).unwrap_or_default();
    let (req, _) = res.into_parts();
    let response = method_not_allowed_response(&methods);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body::<B>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn templates_match_one_segment_per_parameter() {
        assert!(matches("/api/agents/{id}", "/api/agents/1"));
        assert!(matches("/api/agents", "/api/agents/"));
        assert!(!matches("/api/agents/{id}", "/api/agents"));
        assert!(!matches("/api/agents/{id}", "/api/agents/1/x"));
        assert!(!matches("/api/agents", "/api/agentsx"));
    }
}
