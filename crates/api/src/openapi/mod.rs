//! The OpenAPI document. Its paths and schemas are collected from the route
//! registration itself (`utoipa-actix-web`: each handler's `#[utoipa::path]`
//! over its actix method macro), so a handler cannot be served without being
//! documented or documented without being served. This module adds what no
//! handler states (title, the bearer scheme, the shared answers of
//! `contract`), keeps the finished document in app data, and serves it at
//! `/api/openapi.json` with an interactive viewer (`docs_viewer`) at `/docs`.

use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};

pub mod contract;
mod methods;

pub use methods::Methods;

#[derive(OpenApi)]
#[openapi(
    info(title = "EchoSenseiX API", description = "Multi-tenant backend for AI voice agents."),
    modifiers(&BearerAuth)
)]
struct Base;

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

/// The document the registration starts from: what no handler says.
pub fn base() -> utoipa::openapi::OpenApi {
    Base::openapi()
}

/// The finished document, in app data: served as JSON, and read by the
/// fallback to tell a wrong method (405) from a missing path (404).
pub struct Document {
    doc: utoipa::openapi::OpenApi,
    /// Serialised once: the document does not change while the app runs.
    json: web::Bytes,
}

impl Document {
    /// Completes what the registration collected (shared answers, security)
    /// and serialises it.
    pub fn finish(mut doc: utoipa::openapi::OpenApi) -> Self {
        utoipa::Modify::modify(&contract::Contract, &mut doc);
        doc.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        let json = serde_json::to_vec(&doc).unwrap_or_default().into();
        Self { doc, json }
    }

    pub fn get(&self) -> &utoipa::openapi::OpenApi {
        &self.doc
    }

    /// The methods the document gives paths, for the 405 answers.
    pub fn methods(&self) -> Methods<'_> {
        Methods::new(&self.doc)
    }
}

/// The OpenAPI 3.1 document of this API.
#[get("/api/openapi.json")]
async fn openapi_json(doc: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.json.clone())
}

/// The document and its viewer; registered before the `/api` scope, which
/// would otherwise take `/api/openapi.json`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi_json)
        .service(crate::docs_viewer::page)
        .service(crate::docs_viewer::script);
}
