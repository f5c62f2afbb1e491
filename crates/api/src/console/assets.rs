//! The console's stylesheet and script, embedded in the binary.

use actix_web::http::header;
use actix_web::{HttpResponse, get};

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        // Short: a deploy changes them without changing their names.
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

#[get("/admin/assets/console.css")]
async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

#[get("/admin/assets/console.js")]
async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}
