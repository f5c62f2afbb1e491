//! `PUT /api/providers/{id}` and `POST /api/providers/{id}/set-primary`.

use actix_web::{HttpResponse, post, put, web};
use serde_json::json;
use storage::models::provider_integrations as pi;
use uuid::Uuid;

use super::STALE;
use super::dto::{ProviderResponse, ReplaceProvider};
use crate::audited::{AdminWrite, Change, audited};
use crate::error::{OrNotFound, Reply};

/// Replaces a provider's name, display name and config, and its key when
/// `credentials` is given. A change that affects the connection makes the
/// provider untested again; one that moves it to another host needs the key
/// again (422 `credential_host_changed`).
#[utoipa::path(tag = "providers", params(("id" = Uuid, Path)), request_body = ReplaceProvider,
    description = "Owner or admin only; members get 403.",
    responses((status = 200, body = ProviderResponse), (status = 403), (status = 404)))]
#[put("/{id}")]
pub async fn replace(
    AdminWrite { state, auth, meta }: AdminWrite,
    id: web::Path<Uuid>,
    body: web::Json<ReplaceProvider>,
) -> Reply {
    let (org, id, body) = (auth.organization_id, id.into_inner(), body.into_inner());
    // Checked against the row as it is under the transaction.
    let shared = state.clone();
    let row = audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            let current = pi::find(c, org, id).await.or_not_found("provider")?;
            let changes = body.parse(&shared, &current)?;
            let row = pi::update(c, org, id, &changes).await?;
            let audit = json!({
                "providerName": row.provider_name,
                "displayName": row.display_name,
                "config": row.config,
                "credentialsChanged": changes.encrypted_credentials.is_some(),
            });
            Ok(Change::new(row, "provider.updated", Some(id), audit))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProviderResponse::from(row)))
}

/// Makes this provider the primary of its type; the previous primary (if
/// any) stops being one in the same transaction.
#[utoipa::path(tag = "providers", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 200, body = ProviderResponse), (status = 403), (status = 404),
    (status = 409)))]
#[post("/{id}/set-primary")]
pub async fn set_primary(
    AdminWrite { state, auth, meta }: AdminWrite,
    id: web::Path<Uuid>,
) -> Reply {
    let (org, id) = (auth.organization_id, id.into_inner());
    let row = audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            let previous = pi::find(c, org, id).await.or_not_found("provider")?;
            let old = pi::find_primary(c, org, &previous.provider_type)
                .await?
                .map(|p| p.id);
            let row = pi::set_primary(c, org, id).await.or_not_found("provider")?;
            let audit = json!({ "providerType": row.provider_type, "previousPrimaryId": old });
            Ok(Change::new(row, "provider.primary_set", Some(id), audit))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProviderResponse::from(row)))
}
