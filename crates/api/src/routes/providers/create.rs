//! `POST /api/providers`: adds a provider (not primary; see set-primary).

use actix_web::{HttpResponse, post, web};
use serde_json::json;
use storage::models::provider_integrations as pi;

use super::STALE;
use super::dto::{CreateProvider, ProviderResponse};
use crate::audited::{AdminWrite, Change, audited};
use crate::error::Reply;

/// Adds a provider (not primary; see set-primary).
#[utoipa::path(tag = "providers", request_body = CreateProvider,
    description = "Owner or admin only; members get 403.",
    responses((status = 201, body = ProviderResponse), (status = 403)))]
#[post("")]
pub async fn create(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<CreateProvider>,
) -> Reply {
    let new = body.into_inner().parse(&state, auth.organization_id)?;
    let row = audited(&state, &auth, &meta, STALE, |c| {
        Box::pin(async move {
            let row = pi::insert(c, &new).await?;
            let changes = json!({
                "providerType": row.provider_type,
                "providerName": row.provider_name,
                "displayName": row.display_name,
                "config": row.config,
            });
            let id = row.id;
            Ok(Change::new(row, "provider.created", Some(id), changes))
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(ProviderResponse::from(row)))
}
