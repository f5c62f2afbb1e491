//! Route registration: one module per resource, each with a `configure` that
//! registers its handlers once, by the actix method macro under each
//! handler's `#[utoipa::path]`. `utoipa-actix-web` collects the OpenAPI
//! paths and schemas from these same calls, so the routes served and the
//! routes documented are one list.

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

use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api` that need the JSON error handlers and auth.
pub fn configure_api(cfg: &mut ServiceConfig) {
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

/// Routes outside `/api`: health and metrics (documented), the WebSocket,
/// and the operator console (HTML pages, left out of the document).
pub fn configure_root(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    cfg.service(crate::metrics::metrics_endpoint)
        .service(realtime::realtime_sync)
        .map(|cfg| cfg.configure(crate::console::configure));
}
