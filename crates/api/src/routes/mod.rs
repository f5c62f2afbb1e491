//! Route registration: one module per resource, each with a `configure`.

pub mod health;

use actix_web::web;

/// Routes under `/api` that need the JSON error handlers and auth.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
}

/// Routes outside `/api` (health, metrics, docs).
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
}
