//! `DELETE /api/providers/{id}`.

use actix_web::{HttpResponse, delete, web};
use storage::models::provider_integrations as pi;
use uuid::Uuid;

use super::STALE;
use crate::audited::{AdminWrite, Change, audited};
use crate::error::Reply;

/// Removes a provider (a primary one leaves its type without a primary).
#[utoipa::path(tag = "providers", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 204), (status = 403), (status = 404)))]
#[delete("/{id}")]
pub async fn delete(AdminWrite { state, auth, meta }: AdminWrite, id: web::Path<Uuid>) -> Reply {
    let (org, id) = (auth.organization_id, id.into_inner());
    audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            let found = pi::delete(c, org, id).await?;
            Change::deleted(found, "provider.deleted", id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
