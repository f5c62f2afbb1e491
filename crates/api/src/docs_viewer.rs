//! The `/docs` API viewer: Scalar's standalone script, pinned (1.76.0) and
//! embedded in the binary (gzip, served as is), pointed at
//! `/api/openapi.json`. Nothing loads from a CDN, so the page's CSP allows
//! scripts from this origin only (see `http_defaults`).

use actix_web::http::header;
use actix_web::{HttpResponse, get};

/// Bumped together with the file name below (see crates/api/assets/README.md).
pub const SCALAR_VERSION: &str = "1.76.0";
const SCALAR_JS_GZ: &[u8] = include_bytes!("../assets/scalar-api-reference-1.76.0.js.gz");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EchoSenseiX API</title>
</head>
<body>
<script id="api-reference" data-url="/api/openapi.json"
  data-configuration='{"withDefaultFonts":false,"hideClientButton":true}'></script>
<script src="/docs/scalar-1.76.0.js"></script>
</body>
</html>
"#;

#[get("/docs")]
async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(PAGE)
}

/// The versioned name changes with the content, so browsers may keep it.
#[get("/docs/scalar-1.76.0.js")]
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CONTENT_ENCODING, "gzip"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(SCALAR_JS_GZ)
}
