//! `POST /api/providers/{id}/test`: a live request to the provider.

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use serde_json::json;
use storage::models::integrations::Credentials;
use storage::models::provider_integrations as pi;
use uuid::Uuid;

use super::STALE;
use crate::audited::{AdminWrite, Change, audited};
use crate::error::{OrNotFound, Reply};
use crate::providers::{self, catalog};

/// Makes an authenticated request to the provider with the stored key and
/// records the outcome (status active or error, lastTestedAt).
#[utoipa::path(tag = "providers", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403. 200 whatever the provider answered: see `success`.",
    responses((status = 200, body = providers::ConnectionTestResult), (status = 403),
    (status = 404)))]
#[post("/{id}/test")]
pub async fn test(AdminWrite { state, auth, meta }: AdminWrite, id: web::Path<Uuid>) -> Reply {
    let (org, id) = (auth.organization_id, id.into_inner());
    // No connection is held while the provider answers.
    let row = {
        let mut conn = state.db.get().await?;
        pi::find(&mut conn, org, id)
            .await
            .or_not_found("provider")?
    };
    let credentials = state
        .encryption
        .decrypt(&row.encrypted_credentials)
        .ok()
        .and_then(|plain| serde_json::from_slice::<Credentials>(&plain).ok());
    let key = credentials.as_ref().map(|c| c.api_key.as_str());
    let base = &state.config.elevenlabs_base_url;
    let endpoint = catalog::provider_endpoint(&row.provider_name, &row.config, base);
    let result = providers::test_configured(&state, key, endpoint).await?;
    let (status, latency_ms) = (result.status.clone(), result.latency_ms);
    let error = (!result.success).then(|| result.message.clone());
    audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            pi::record_test(c, org, id, &status, error.as_deref(), Utc::now())
                .await
                .or_not_found("provider")?;
            let audit = json!({ "status": status, "latencyMs": latency_ms });
            Ok(Change::new((), "provider.tested", Some(id), audit))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}
