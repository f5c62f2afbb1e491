//! Route registration: one module per resource, each with a `configure`.

pub mod admin;
pub mod agents;
pub mod analytics;
pub mod api_keys;
pub mod audit_logs;
pub mod auth;
pub mod call_logs;
pub mod documents;
pub mod fallback;
pub mod health;
pub mod inbound_webhooks;
pub mod integrations;
pub mod invitations;
pub mod knowledge_base;
pub mod providers;
pub mod realtime;
pub mod users;
pub mod webhooks;

use actix_web::web;

/// Routes under `/api` that need the JSON error handlers and auth.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    let _ = cfg;
    auth::configure(cfg);
    users::configure(cfg);
    invitations::configure(cfg);
    api_keys::configure(cfg);
    audit_logs::configure(cfg);
    agents::configure(cfg);
    call_logs::configure(cfg);
    analytics::configure(cfg);
    inbound_webhooks::configure(cfg);
    knowledge_base::configure(cfg);
    integrations::configure(cfg);
    providers::configure(cfg);
    webhooks::configure(cfg);
    documents::configure(cfg);
    admin::configure(cfg);
}

/// Routes outside `/api` (health, metrics, docs, the operator console).
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    crate::console::configure(cfg);
    crate::openapi::configure(cfg);
    cfg.service(crate::metrics::metrics_endpoint);
    realtime::configure(cfg);
}
