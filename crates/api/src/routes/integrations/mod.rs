//! Voice-platform integrations (one per provider): save credentials (sealed
//! with AES-256-GCM, never returned), list them, and test the connection.
//! Members read; saving and testing need the owner or admin role.

mod dto;

use crate::cached::cached_json;
use kv::cache::Namespace;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use crypto::last4;
use serde_json::json;
use storage::models::integrations::{self, Credentials, NewIntegration};

use crate::audited::{AdminWrite, Change, audited};
use crate::auth::AuthUser;
use crate::error::{ApiError, Reply};
use crate::input::FieldErrors;
use crate::providers::{self, catalog};
use crate::state::State;
use dto::{IntegrationList, IntegrationResponse, SaveIntegration, TestIntegration, parse_provider};

/// The organization's integrations, by provider.
#[utoipa::path(tag = "integrations",
    description = "Any member of the organization. Credentials are never returned: `apiKeyLast4` only.",
    responses((status = 200, body = IntegrationList)))]
#[get("")]
pub async fn list(state: State, auth: AuthUser) -> Reply {
    cached_json(
        &state,
        Namespace::Integration,
        auth.organization_id,
        "list",
        || async {
            let mut conn = state.db.read(auth.organization_id).await?;
            let rows = integrations::list(&mut conn, auth.organization_id).await?;
            let data = rows
                .into_iter()
                .map(|r| IntegrationResponse::new(r, &state))
                .collect();
            Ok(IntegrationList { data })
        },
    )
    .await
}

/// Saves the organization's integration with a provider. One per provider:
/// the first save creates it (201); a later save for the same provider
/// replaces its API key (and the webhook secret and config when given) and
/// answers 200. New credentials are untested until the next test.
#[utoipa::path(tag = "integrations", request_body = SaveIntegration,
    description = "Owner or admin only; members get 403. Upsert: 201 when created, 200 when updated.",
    responses((status = 201, body = IntegrationResponse),
    (status = 200, body = IntegrationResponse), (status = 403)))]
#[post("")]
pub async fn save(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<SaveIntegration>,
) -> Reply {
    let parsed = body.into_inner().parse(&state.config.elevenlabs_base_url)?;
    let org = auth.organization_id;
    let key = state.encryption.clone();
    let (row, created) = audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            let existing = integrations::find_by_provider(c, org, &parsed.provider).await?;
            // A save without a webhook secret or config keeps the stored ones,
            // so rotating the API key never breaks inbound signatures.
            let old_secret = existing
                .as_ref()
                .and_then(|e| e.credentials(&key).ok())
                .and_then(|c| c.webhook_secret);
            let credentials = Credentials {
                api_key: parsed.api_key.clone(),
                webhook_secret: parsed.webhook_secret.clone().or(old_secret),
            };
            let config = parsed
                .config
                .clone()
                .or_else(|| existing.map(|e| e.config))
                .unwrap_or_else(|| json!({}));
            let new = NewIntegration {
                organization_id: org,
                provider: parsed.provider.clone(),
                category: "voice_platform".into(),
                encrypted_credentials: credentials.seal(&key),
                api_key_last4: last4(&parsed.api_key),
                config: config.clone(),
            };
            let (row, created) = integrations::upsert(c, &new).await?;
            let action = if created {
                "integration.created"
            } else {
                "integration.updated"
            };
            let changes = json!({
                "provider": row.provider,
                "config": config,
                "credentialsChanged": true,
                "webhookSecretChanged": parsed.webhook_secret.is_some(),
            });
            let id = row.id;
            Ok(Change::new((row, created), action, Some(id), changes))
        })
    })
    .await?;
    let body = IntegrationResponse::new(row, &state);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Makes an authenticated request to the provider with the stored API key
/// and records the outcome (status active or error, lastTestedAt).
#[utoipa::path(tag = "integrations", request_body = TestIntegration,
    description = "Owner or admin only; members get 403. 200 whatever the provider answered: see `success`.",
    responses((status = 200, body = providers::ConnectionTestResult), (status = 403),
    (status = 404)))]
#[post("/test")]
pub async fn test(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<TestIntegration>,
) -> Reply {
    let mut errors = FieldErrors::default();
    let provider = parse_provider(body.into_inner().provider, &mut errors);
    errors.finish()?;
    let org = auth.organization_id;
    // No connection is held while the provider answers.
    let row = {
        let mut conn = state.db.get().await?;
        integrations::find_by_provider(&mut conn, org, &provider)
            .await?
            .ok_or_else(|| ApiError::not_found("integration"))?
    };
    let credentials = row.credentials(&state.encryption).ok();
    let key = credentials.as_ref().map(|c| c.api_key.as_str());
    let base = &state.config.elevenlabs_base_url;
    let endpoint = catalog::integration_endpoint(&row.provider, &row.config, base);
    let result = providers::test_configured(&state, key, endpoint).await?;
    let error = (!result.success).then(|| result.message.clone());
    let (status, latency_ms, id) = (result.status.clone(), result.latency_ms, row.id);
    let changes = json!({ "provider": row.provider, "status": status, "latencyMs": latency_ms });
    audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            integrations::record_test(c, org, id, &status, error.as_deref(), Utc::now()).await?;
            Ok(Change::new((), "integration.tested", Some(id), changes))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// What an integration write makes stale.
const STALE: &[Namespace] = &[Namespace::Integration];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(save).service(test);
}
