//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! annotations: each route module contributes its `Doc` (full paths),
//! merged into one. Served at `/api/openapi.json`, with an
//! interactive viewer (Scalar, embedded: `docs_viewer`) at `/docs`.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::routes;

pub mod contract;

#[derive(OpenApi)]
#[openapi(
    info(title = "EchoSenseiX API", description = "Multi-tenant backend for AI voice agents."),
    paths(routes::health::health, routes::health::live, routes::health::ready, crate::metrics::metrics_endpoint,
          routes::realtime::realtime_sync),
    modifiers(&BearerAuth)
)]
struct RootDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A session token from /api/auth/login (esx_...) or an API key (esk_...)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let api = [
            routes::auth::Doc::openapi(),
            routes::users::Doc::openapi(),
            routes::api_keys::Doc::openapi(),
            routes::invitations::Doc::openapi(),
            routes::audit_logs::Doc::openapi(),
            routes::agents::Doc::openapi(),
            routes::call_logs::Doc::openapi(),
            routes::analytics::Doc::openapi(),
            routes::inbound_webhooks::Doc::openapi(),
            routes::knowledge_base::Doc::openapi(),
            routes::integrations::Doc::openapi(),
            routes::providers::Doc::openapi(),
            routes::webhooks::Doc::openapi(),
            routes::documents::Doc::openapi(),
            routes::admin::Doc::openapi(),
        ]
        .into_iter()
        .fold(utoipa::openapi::OpenApi::default(), |mut acc, doc| {
            acc.merge(doc);
            acc
        });
        let mut doc = RootDoc::openapi();
        doc.merge(api);
        utoipa::Modify::modify(&contract::Contract, &mut doc);
        doc.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        doc
    })
}

/// The OpenAPI 3.1 document of this API.
#[get("/api/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json)
        .service(crate::docs_viewer::page)
        .service(crate::docs_viewer::script);
}
