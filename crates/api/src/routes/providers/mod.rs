//! TTS, STT and LLM providers of an organization: CRUD with write-only
//! credentials (AES-256-GCM at rest, `apiKeyLast4` shown), one primary per
//! type, and connection tests. Members read; writes and tests need the owner
//! or admin role.

mod create;
mod delete;
mod dto;
mod test;
mod update;

use actix_web::{HttpResponse, web};
use kv::cache::Namespace;
use storage::models::provider_integrations as pi;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::cached::cached_json;
use crate::error::{ApiResult, OrNotFound};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::AppState;
use create::create;
use delete::delete;
pub use dto::{CreateProvider, ProviderCredentials, ProviderResponse, ReplaceProvider};
use test::test;
use update::{replace, set_primary};

/// What a provider write makes stale.
const STALE: &[Namespace] = &[Namespace::Provider];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/providers")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/providers/{id}")
            .route(web::get().to(get))
            .route(web::put().to(replace))
            .route(web::delete().to(delete)),
    )
    .service(web::resource("/providers/{id}/set-primary").route(web::post().to(set_primary)))
    .service(web::resource("/providers/{id}/test").route(web::post().to(test)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create::create, get, update::replace, delete::delete, update::set_primary, test::test),
    components(schemas(
        ProviderResponse,
        PageResponse<ProviderResponse>,
        ProviderCredentials,
        CreateProvider,
        ReplaceProvider
    ))
)]
pub struct Doc;

/// Providers, grouped by type, newest first within a type.
#[utoipa::path(get, path = "/api/providers", tag = "providers", params(PageQuery),
    description = "Any member of the organization. Credentials are never returned: `apiKeyLast4` only.",
    responses((status = 200, body = PageResponse<ProviderResponse>), (status = 401), (status = 422)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    page: Paging,
) -> ApiResult<HttpResponse> {
    cached_json(
        &state,
        Namespace::Provider,
        auth.organization_id,
        &page.cache_key(),
        || async {
            let mut conn = state.db.read(auth.organization_id).await?;
            let rows = pi::list(&mut conn, auth.organization_id, *page).await?;
            Ok(PageResponse::of(rows, ProviderResponse::from))
        },
    )
    .await
}

/// One provider; 404 for an unknown, malformed or other organization's id.
#[utoipa::path(get, path = "/api/providers/{id}", tag = "providers", params(("id" = Uuid, Path)),
    description = "Any member of the organization.",
    responses((status = 200, body = ProviderResponse), (status = 401), (status = 404)))]
pub async fn get(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    cached_json(
        &state,
        Namespace::Provider,
        auth.organization_id,
        &format!("id:{id}"),
        || async {
            let mut conn = state.db.read(auth.organization_id).await?;
            let row = pi::find(&mut conn, auth.organization_id, id)
                .await
                .or_not_found("provider")?;
            Ok(ProviderResponse::from(row))
        },
    )
    .await
}
