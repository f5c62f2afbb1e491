//! Voice-platform integrations (one per provider): save credentials (sealed
//! with AES-256-GCM, never returned), list them, and test the connection.
//! Members read; saving and testing need the owner or admin role.

use crate::cached::{cached_json, invalidate};
use std::time::Duration;
use storage::cache::Namespace;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::crypto::last4;
use storage::models::integrations::{self, Credentials, Integration, NewIntegration};
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::input::{FieldErrors, JsonShape, TextRule};
use crate::providers::{self, catalog};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

/// Platforms the `integrations` table accepts.
const PROVIDERS: &[&str] = &["elevenlabs", "vapi", "retell"];

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationResponse {
    id: Uuid,
    provider: String,
    category: String,
    /// The only part of the API key ever shown again.
    api_key_last4: String,
    /// Whether a webhook signing secret is stored (it is never shown).
    has_webhook_secret: bool,
    #[schema(value_type = Object)]
    config: Value,
    /// untested, active (last test passed) or error.
    status: String,
    last_tested_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl IntegrationResponse {
    fn new(row: Integration, state: &AppState) -> Self {
        let has_webhook_secret = row
            .credentials(&state.encryption)
            .map(|c| c.webhook_secret.is_some())
            .unwrap_or(false);
        Self {
            id: row.id,
            provider: row.provider,
            category: row.category,
            api_key_last4: row.api_key_last4,
            has_webhook_secret,
            config: row.config,
            status: row.status,
            last_tested_at: row.last_tested_at,
            last_error: row.last_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IntegrationList {
    data: Vec<IntegrationResponse>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsInput {
    #[schema(value_type = String, min_length = 8)]
    api_key: Option<String>,
    /// Secret of inbound webhook signatures; kept when omitted on an update.
    webhook_secret: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveIntegration {
    /// elevenlabs, vapi or retell.
    #[schema(value_type = String)]
    provider: Option<String>,
    #[schema(value_type = CredentialsInput)]
    credentials: Option<CredentialsInput>,
    /// A JSON object; kept when omitted on an update. vapi and retell accept
    /// `baseUrl`.
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TestIntegration {
    #[schema(value_type = String)]
    provider: Option<String>,
}

struct Parsed {
    provider: String,
    api_key: String,
    webhook_secret: Option<String>,
    config: Option<Value>,
}

/// The secret ElevenLabs signs inbound webhooks with.
const WEBHOOK_SECRET: TextRule = TextRule::line(1024);

fn parse_provider(provider: Option<String>, errors: &mut FieldErrors) -> String {
    let provider = provider.unwrap_or_default().trim().to_ascii_lowercase();
    if !PROVIDERS.contains(&provider.as_str()) {
        errors.fail("provider", "must be one of elevenlabs, vapi, retell");
    }
    provider
}

impl SaveIntegration {
    fn parse(self, elevenlabs_base: &str) -> ApiResult<Parsed> {
        let mut errors = FieldErrors::default();
        let provider = parse_provider(self.provider, &mut errors);
        let (mut api_key, mut webhook_secret) = (String::new(), None);
        match self.credentials {
            None => errors.fail("credentials", "is required"),
            Some(c) => {
                match c.api_key.as_deref().map(providers::check_api_key) {
                    None => errors.fail("credentials.apiKey", "is required"),
                    Some(Err(reason)) => errors.fail("credentials.apiKey", reason),
                    Some(Ok(key)) => api_key = key,
                }
                webhook_secret = errors.text(
                    "credentials.webhookSecret",
                    c.webhook_secret,
                    WEBHOOK_SECRET,
                );
            }
        }
        let config = errors.json("config", self.config, JsonShape::Object);
        if errors.is_empty() {
            let check = config.clone().unwrap_or_else(|| json!({}));
            if let Err(reason) = catalog::integration_endpoint(&provider, &check, elevenlabs_base) {
                errors.fail("config.baseUrl", reason);
            }
        }
        errors.done(Parsed {
            provider,
            api_key,
            webhook_secret,
            config,
        })
    }
}

/// The organization's integrations, by provider.
#[utoipa::path(get, path = "/api/integrations", tag = "integrations",
    description = "Any member of the organization. Credentials are never returned: `apiKeyLast4` only.",
    responses((status = 200, body = IntegrationList), (status = 401)))]
pub async fn list(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<HttpResponse> {
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
#[utoipa::path(post, path = "/api/integrations", tag = "integrations", request_body = SaveIntegration,
    description = "Owner or admin only; members get 403. Upsert: 201 when created, 200 when updated.",
    responses((status = 201, body = IntegrationResponse), (status = 200, body = IntegrationResponse),
        (status = 400), (status = 401), (status = 403), (status = 415), (status = 422)))]
pub async fn save(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: web::Json<SaveIntegration>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let parsed = body.into_inner().parse(&state.config.elevenlabs_base_url)?;
    let org = auth.organization_id;
    let key = state.encryption.clone();
    let mut conn = state.db.get().await?;
    let (row, created) = conn
        .transaction::<_, ApiError, _>(async |c| {
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
            let event = AuditEvent {
                action: if created {
                    "integration.created"
                } else {
                    "integration.updated"
                },
                entity_type: "integration",
                entity_id: Some(row.id),
                changes: json!({
                    "provider": row.provider,
                    "config": config,
                    "credentialsChanged": true,
                    "webhookSecretChanged": parsed.webhook_secret.is_some(),
                }),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok((row, created))
        })
        .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Integration]).await;
    let body = IntegrationResponse::new(row, &state);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// Makes an authenticated request to the provider with the stored API key
/// and records the outcome (status active or error, lastTestedAt).
#[utoipa::path(post, path = "/api/integrations/test", tag = "integrations", request_body = TestIntegration,
    description = "Owner or admin only; members get 403. 200 whatever the provider answered: see `success`.",
    responses((status = 200, body = providers::ConnectionTestResult), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 415), (status = 422)))]
pub async fn test(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: web::Json<TestIntegration>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
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
    let endpoint = catalog::integration_endpoint(
        &row.provider,
        &row.config,
        &state.config.elevenlabs_base_url,
    );
    let timeout = Duration::from_millis(state.config.provider_test_timeout_ms);
    let result = providers::test_connection(
        credentials.as_ref().map(|c| c.api_key.as_str()),
        endpoint,
        timeout,
        state.config.provider_allow_private,
    )
    .await?;
    let mut conn = state.db.get().await?;
    conn.transaction::<_, ApiError, _>(async |c| {
        let error = (!result.success).then_some(result.message.as_str());
        integrations::record_test(c, org, row.id, &result.status, error, Utc::now()).await?;
        let event = AuditEvent {
            action: "integration.tested",
            entity_type: "integration",
            entity_id: Some(row.id),
            changes: json!({ "provider": row.provider, "status": result.status, "latencyMs": result.latency_ms }),
        };
        audit::record(c, &auth, &meta, event).await?;
        Ok(())
    })
    .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Integration]).await;
    Ok(HttpResponse::Ok().json(result))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/integrations")
            .route(web::get().to(list))
            .route(web::post().to(save)),
    )
    .service(web::resource("/integrations/test").route(web::post().to(test)));
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, save, test),
    components(schemas(
        IntegrationResponse,
        IntegrationList,
        CredentialsInput,
        SaveIntegration,
        TestIntegration,
        providers::ConnectionTestResult
    ))
)]
pub struct Doc;
