//! TTS, STT and LLM providers of an organization: CRUD with write-only
//! credentials (AES-256-GCM at rest, `apiKeyLast4` shown), one primary per
//! type, and connection tests. Members read; writes and tests need the owner
//! or admin role.

mod create;
mod delete;
mod dto;
mod test;
mod update;

use actix_web::{get, web};
use kv::cache::Namespace;
use storage::models::provider_integrations as pi;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::cached::cached_json;
use crate::error::{OrNotFound, Reply};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;
pub use dto::{CreateProvider, ProviderCredentials, ProviderResponse, ReplaceProvider};
use update::{replace, set_primary};

/// What a provider write makes stale.
const STALE: &[Namespace] = &[Namespace::Provider];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create::create)
        .service(get)
        .service(replace)
        .service(delete::delete)
        .service(set_primary)
        .service(test::test);
}

/// Providers, grouped by type, newest first within a type.
#[utoipa::path(tag = "providers", params(PageQuery),
    description = "Any member of the organization. Credentials are never returned: `apiKeyLast4` only.",
    responses((status = 200, body = PageResponse<ProviderResponse>)))]
#[get("")]
pub async fn list(state: State, auth: AuthUser, page: Paging) -> Reply {
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
#[utoipa::path(tag = "providers", params(("id" = Uuid, Path)),
    description = "Any member of the organization.",
    responses((status = 200, body = ProviderResponse), (status = 404)))]
#[get("/{id}")]
pub async fn get(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
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
