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

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api` that need the JSON error handlers and auth, one
/// scope per resource. actix tries a scope's resources in order, matching
/// each dynamic pattern by regex; behind a scope's prefix (a plain string
/// comparison) a request is matched only against its own resource's
/// handlers, not against every handler registered before it (which cost a
/// cached read more than the cache lookup). `/webhooks` holds both the
/// endpoints and the inbound platform webhooks: a matched scope does not
/// hand a request on to a later one.
pub fn configure_api(cfg: &mut ServiceConfig) {
    cfg.service(auth::profile)
        .service(scope("/auth").configure(auth::configure))
        .service(scope("/users").configure(users::configure))
        .service(scope("/invitations").configure(invitations::configure))
        .service(scope("/api-keys").configure(api_keys::configure))
        .service(scope("/audit-logs").configure(audit_logs::configure))
        .service(scope("/agents").configure(agents::configure))
        .service(scope("/call-logs").configure(call_logs::configure))
        .service(scope("/analytics").configure(analytics::configure))
        .service(scope("/knowledge-base").configure(knowledge_base::configure))
        .service(scope("/integrations").configure(integrations::configure))
        .service(scope("/providers").configure(providers::configure))
        .service(
            scope("/webhooks")
                .configure(inbound_webhooks::configure)
                .configure(webhooks::configure),
        )
        .service(scope("/documents").configure(documents::configure))
        .service(scope("/admin").configure(admin::configure));
}

/// Routes outside `/api`: health and metrics (documented), the WebSocket,
/// and the operator console (HTML pages, left out of the document).
pub fn configure_root(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    cfg.service(crate::metrics::metrics_endpoint)
        .service(realtime::realtime_sync)
        .map(|cfg| cfg.configure(crate::console::configure));
}
