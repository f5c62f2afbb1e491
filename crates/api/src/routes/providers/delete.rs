//! `DELETE /api/providers/{id}`.

use actix_web::{HttpResponse, web};
use serde_json::json;
use storage::models::provider_integrations as pi;
use uuid::Uuid;

use super::STALE;
use crate::audited::{Change, audited};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

/// Removes a provider (a primary one leaves its type without a primary).
#[utoipa::path(delete, path = "/api/providers/{id}", tag = "providers", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            if !pi::delete(c, org, id).await? {
                return Err(ApiError::not_found("provider"));
            }
            Ok(Change::new((), "provider.deleted", Some(id), json!({})))
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
