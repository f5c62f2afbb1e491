//! TTS, STT and LLM providers of an organization: CRUD with write-only
//! credentials (AES-256-GCM at rest, `apiKeyLast4` shown), one primary per
//! type, and connection tests. Members read; writes and tests need the owner
//! or admin role.

use crate::cached::{cached_json, invalidate};
use std::time::Duration;
use storage::cache::Namespace;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::crypto::last4;
use storage::models::integrations::{Credentials, status};
use storage::models::provider_integrations::{
    self as pi, NewProviderIntegration, ProviderIntegration, ProviderIntegrationUpdate,
};
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, OrNotFound};
use crate::input::{FieldErrors, JsonShape, PageQuery, PageResponse, Paging, TextRule};
use crate::providers::{self, catalog};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

const TYPES: &[&str] = &["tts", "stt", "llm"];

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderResponse {
    id: Uuid,
    /// tts, stt or llm.
    provider_type: String,
    provider_name: String,
    display_name: String,
    /// The only part of the API key ever shown again.
    api_key_last4: String,
    #[schema(value_type = Object)]
    config: Value,
    /// untested, active (last test passed) or error.
    status: String,
    is_primary: bool,
    last_tested_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ProviderIntegration> for ProviderResponse {
    fn from(r: ProviderIntegration) -> Self {
        Self {
            id: r.id,
            provider_type: r.provider_type,
            provider_name: r.provider_name,
            display_name: r.display_name,
            api_key_last4: r.api_key_last4,
            config: r.config,
            status: r.status,
            is_primary: r.is_primary,
            last_tested_at: r.last_tested_at,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderCredentials {
    #[schema(value_type = String, min_length = 8)]
    api_key: Option<String>,
}

/// A new provider. Known names (elevenlabs, openai, deepgram, anthropic,
/// mistral, groq) have a default base URL; any other name is taken as
/// OpenAI-compatible and needs `config.baseUrl`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateProvider {
    /// tts, stt or llm.
    #[schema(value_type = String)]
    provider_type: Option<String>,
    #[schema(value_type = String)]
    provider_name: Option<String>,
    #[schema(value_type = String)]
    display_name: Option<String>,
    #[schema(value_type = ProviderCredentials)]
    credentials: Option<ProviderCredentials>,
    /// A JSON object; `baseUrl` overrides the provider's default.
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
}

/// A replacement of the provider's settings. `providerType` cannot change;
/// `credentials` may be omitted to keep the stored key; `config` omitted
/// means `{}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplaceProvider {
    provider_type: Option<String>,
    #[schema(value_type = String)]
    provider_name: Option<String>,
    #[schema(value_type = String)]
    display_name: Option<String>,
    credentials: Option<ProviderCredentials>,
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
}

type Errors = FieldErrors;

const DISPLAY_NAME: TextRule = TextRule::line(200);

fn check_name(name: Option<String>, errors: &mut Errors) -> String {
    let name = name.unwrap_or_default().trim().to_ascii_lowercase();
    let ok = (1..=100).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        });
    if !ok {
        errors.fail(
            "providerName",
            "must be 1 to 100 of a-z, 0-9, '-', '_', '.'",
        );
    }
    name
}

fn check_display(name: Option<String>, errors: &mut Errors) -> String {
    errors
        .required_text("displayName", name, DISPLAY_NAME)
        .unwrap_or_default()
}

fn check_key(
    credentials: Option<ProviderCredentials>,
    required: bool,
    errors: &mut Errors,
) -> Option<String> {
    match credentials {
        None if required => {
            errors.fail("credentials", "is required");
            None
        }
        None => None,
        Some(c) => match c.api_key.as_deref().map(providers::check_api_key) {
            None => {
                errors.fail("credentials.apiKey", "is required");
                None
            }
            Some(Err(reason)) => {
                errors.fail("credentials.apiKey", reason);
                None
            }
            Some(Ok(key)) => Some(key),
        },
    }
}

/// The config object, checked against the provider so a later test never
/// fails for want of a usable base URL.
fn check_config(
    config: Option<Value>,
    name: &str,
    elevenlabs_base: &str,
    errors: &mut Errors,
) -> Value {
    let Some(config) = errors.json("config", config, JsonShape::Object) else {
        return json!({});
    };
    if !errors.has("providerName")
        && let Err(reason) = catalog::provider_endpoint(name, &config, elevenlabs_base)
    {
        errors.fail("config.baseUrl", reason);
    }
    config
}

fn seal(state: &AppState, key: &str) -> (Vec<u8>, String) {
    let credentials = Credentials {
        api_key: key.to_owned(),
        webhook_secret: None,
    };
    (credentials.seal(&state.encryption), last4(key))
}

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

/// Adds a provider (not primary; see set-primary).
#[utoipa::path(post, path = "/api/providers", tag = "providers", request_body = CreateProvider,
    description = "Owner or admin only; members get 403.",
    responses((status = 201, body = ProviderResponse), (status = 400), (status = 401), (status = 403), (status = 415), (status = 422)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: web::Json<CreateProvider>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let body = body.into_inner();
    let mut errors = Errors::default();
    let provider_type = body
        .provider_type
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !TYPES.contains(&provider_type.as_str()) {
        errors.fail("providerType", "must be one of tts, stt, llm");
    }
    let provider_name = check_name(body.provider_name, &mut errors);
    let display_name = check_display(body.display_name, &mut errors);
    let key = check_key(body.credentials, true, &mut errors).unwrap_or_default();
    let config = check_config(
        body.config,
        &provider_name,
        &state.config.elevenlabs_base_url,
        &mut errors,
    );
    let (encrypted_credentials, api_key_last4) = seal(&state, &key);
    let new = errors.done(NewProviderIntegration {
        organization_id: auth.organization_id,
        provider_type,
        provider_name,
        display_name,
        encrypted_credentials,
        api_key_last4,
        config,
    })?;
    let mut conn = state.db.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |c| {
            let row = pi::insert(c, &new).await?;
            let event = AuditEvent {
                action: "provider.created",
                entity_type: "provider",
                entity_id: Some(row.id),
                changes: json!({
                    "providerType": row.provider_type,
                    "providerName": row.provider_name,
                    "displayName": row.display_name,
                    "config": row.config,
                }),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok(row)
        })
        .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Provider]).await;
    Ok(HttpResponse::Created().json(ProviderResponse::from(row)))
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

/// Replaces a provider's name, display name and config, and its key when
/// `credentials` is given. A change that affects the connection makes the
/// provider untested again; one that moves it to another host needs the key
/// again (422 `credential_host_changed`).
#[utoipa::path(put, path = "/api/providers/{id}", tag = "providers", params(("id" = Uuid, Path)),
    request_body = ReplaceProvider, description = "Owner or admin only; members get 403.",
    responses((status = 200, body = ProviderResponse), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 415), (status = 422)))]
pub async fn replace(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: web::Json<ReplaceProvider>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (org, id, body) = (auth.organization_id, id.into_inner(), body.into_inner());
    let mut conn = state.db.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |c| {
            let current = pi::find(c, org, id).await.or_not_found("provider")?;
            let mut errors = Errors::default();
            if let Some(t) = &body.provider_type
                && t.trim().to_ascii_lowercase() != current.provider_type
            {
                errors.fail(
                    "providerType",
                    "cannot change; create a new provider instead",
                );
            }
            let provider_name = check_name(body.provider_name.clone(), &mut errors);
            let display_name = check_display(body.display_name.clone(), &mut errors);
            let key = check_key(body.credentials.clone(), false, &mut errors);
            let config = check_config(
                body.config.clone(),
                &provider_name,
                &state.config.elevenlabs_base_url,
                &mut errors,
            );
            if key.is_none() && errors.is_empty() {
                let eleven = &state.config.elevenlabs_base_url;
                providers::require_same_origin(
                    catalog::provider_endpoint(&current.provider_name, &current.config, eleven),
                    catalog::provider_endpoint(&provider_name, &config, eleven),
                )?;
            }
            let retest =
                key.is_some() || provider_name != current.provider_name || config != current.config;
            let sealed = key.as_deref().map(|k| seal(&state, k));
            let changes = errors.done(ProviderIntegrationUpdate {
                provider_name: Some(provider_name),
                display_name: Some(display_name),
                api_key_last4: sealed.as_ref().map(|s| s.1.clone()),
                encrypted_credentials: sealed.map(|s| s.0),
                config: Some(config),
                status: retest.then(|| status::UNTESTED.to_owned()),
                last_error: retest.then_some(None),
                last_tested_at: retest.then_some(None),
            })?;
            let row = pi::update(c, org, id, &changes).await?;
            let event = AuditEvent {
                action: "provider.updated",
                entity_type: "provider",
                entity_id: Some(row.id),
                changes: json!({
                    "providerName": row.provider_name,
                    "displayName": row.display_name,
                    "config": row.config,
                    "credentialsChanged": changes.encrypted_credentials.is_some(),
                }),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok(row)
        })
        .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Provider]).await;
    Ok(HttpResponse::Ok().json(ProviderResponse::from(row)))
}

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
    let mut conn = state.db.get().await?;
    conn.transaction::<_, ApiError, _>(async |c| {
        if !pi::delete(c, org, id).await? {
            return Err(ApiError::not_found("provider"));
        }
        let event = AuditEvent {
            action: "provider.deleted",
            entity_type: "provider",
            entity_id: Some(id),
            changes: json!({}),
        };
        audit::record(c, &auth, &meta, event).await?;
        Ok(())
    })
    .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Provider]).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Makes this provider the primary of its type; the previous primary (if
/// any) stops being one in the same transaction.
#[utoipa::path(post, path = "/api/providers/{id}/set-primary", tag = "providers", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 200, body = ProviderResponse), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn set_primary(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    let mut conn = state.db.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |c| {
            let previous = pi::find(c, org, id).await.or_not_found("provider")?;
            let old = pi::find_primary(c, org, &previous.provider_type)
                .await?
                .map(|p| p.id);
            let row = pi::set_primary(c, org, id).await.or_not_found("provider")?;
            let event = AuditEvent {
                action: "provider.primary_set",
                entity_type: "provider",
                entity_id: Some(row.id),
                changes: json!({ "providerType": row.provider_type, "previousPrimaryId": old }),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok(row)
        })
        .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Provider]).await;
    Ok(HttpResponse::Ok().json(ProviderResponse::from(row)))
}

/// Makes an authenticated request to the provider with the stored key and
/// records the outcome (status active or error, lastTestedAt).
#[utoipa::path(post, path = "/api/providers/{id}/test", tag = "providers", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403. 200 whatever the provider answered: see `success`.",
    responses((status = 200, body = providers::ConnectionTestResult), (status = 401), (status = 403), (status = 404)))]
pub async fn test(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
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
    let endpoint = catalog::provider_endpoint(
        &row.provider_name,
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
        pi::record_test(c, org, id, &result.status, error, Utc::now())
            .await
            .or_not_found("provider")?;
        let event = AuditEvent {
            action: "provider.tested",
            entity_type: "provider",
            entity_id: Some(id),
            changes: json!({ "status": result.status, "latencyMs": result.latency_ms }),
        };
        audit::record(c, &auth, &meta, event).await?;
        Ok(())
    })
    .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Provider]).await;
    Ok(HttpResponse::Ok().json(result))
}

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
    paths(list, create, get, replace, delete, set_primary, test),
    components(schemas(
        ProviderResponse,
        PageResponse<ProviderResponse>,
        ProviderCredentials,
        CreateProvider,
        ReplaceProvider
    ))
)]
pub struct Doc;
