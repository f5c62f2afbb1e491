//! Security defaults of every answer: `X-Content-Type-Options`,
//! `Referrer-Policy`, frame protection and a Content-Security-Policy (strict
//! for JSON, one each for the `/docs` viewer and the `/admin` console, both
//! loading only their own embedded assets), plus
//! `Cache-Control: no-store` on everything under `/api` and the console's pages (tokens, keys and
//! tenant data must not sit in a browser or proxy cache). A handler that
//! sets one of these headers itself keeps its own value. Also the CORS
//! policy: closed unless origins are listed in `CORS_ALLOWED_ORIGINS`.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Nothing may load, frame or submit from an API answer.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The Scalar viewer at `/docs`: its script is embedded and served from
/// this origin (`docs_viewer`); it injects its styles inline; requests go
/// back to this API only; never framed.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    font-src 'self' data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'none'";

/// The operator console at `/admin`: its own embedded script and styles
/// only, forms post back to it only.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path();
    let under = |root: &str| path == root || path.starts_with(&format!("{root}/"));
    let console = under("/admin");
    let csp = if under("/docs") {
        DOCS_CSP
    } else if console {
        CONSOLE_CSP
    } else {
        API_CSP
    };
    // The console's pages carry queue data and its CSRF token.
    let no_store = path.starts_with("/api/") || (console && !path.starts_with("/admin/assets/"));
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let mut set_default = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set_default(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set_default(header::REFERRER_POLICY, "no-referrer");
    set_default(header::X_FRAME_OPTIONS, "DENY");
    set_default(header::CONTENT_SECURITY_POLICY, csp);
    if no_store {
        set_default(header::CACHE_CONTROL, "no-store");
    }
    Ok(response)
}

/// Allows exactly the listed origins (already validated by the config
/// parser); none by default. Bearer tokens travel in a header, never a
/// cookie, so credentials mode stays off.
pub fn cors(origins: &[String]) -> Cors {
    let cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers(["x-request-id", "x-cache", "retry-after"])
        .max_age(3600);
    origins
        .iter()
        .fold(cors, |cors, origin| cors.allowed_origin(origin))
}
