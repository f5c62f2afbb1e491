//! The wire shapes of `/api/providers` and their parsing: names, display
//! names, keys and configs checked, keys sealed before they are stored.

use chrono::{DateTime, Utc};
use crypto::last4;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::models::integrations::{Credentials, status};
use storage::models::provider_integrations::{
    NewProviderIntegration, ProviderIntegration, ProviderIntegrationUpdate,
};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::input::{FieldErrors, JsonShape, TextRule, schema};
use crate::providers::{self, catalog};
use crate::state::AppState;

pub(super) const TYPES: &[&str] = &["tts", "stt", "llm"];

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
    #[schema(value_type = providers::ApiKeyText, required)]
    api_key: Option<String>,
}

/// A new provider. Known names (elevenlabs, openai, deepgram, anthropic,
/// mistral, groq) have a default base URL; any other name is taken as
/// OpenAI-compatible and needs `config.baseUrl`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateProvider {
    #[schema(value_type = ProviderType, required)]
    provider_type: Option<String>,
    #[schema(value_type = ProviderName, required)]
    provider_name: Option<String>,
    #[schema(value_type = schema::NameText, required)]
    display_name: Option<String>,
    #[schema(value_type = ProviderCredentials, required)]
    credentials: Option<ProviderCredentials>,
    /// A JSON object; `baseUrl` overrides the provider's default.
    #[schema(value_type = Option<schema::JsonObject>)]
    config: Option<Value>,
}

/// A replacement of the provider's settings. `providerType` cannot change;
/// `credentials` may be omitted to keep the stored key; `config` omitted
/// means `{}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplaceProvider {
    /// Must be the current one when given.
    #[schema(value_type = Option<ProviderType>)]
    provider_type: Option<String>,
    #[schema(value_type = ProviderName, required)]
    provider_name: Option<String>,
    #[schema(value_type = schema::NameText, required)]
    display_name: Option<String>,
    credentials: Option<ProviderCredentials>,
    #[schema(value_type = Option<schema::JsonObject>)]
    config: Option<Value>,
}

type Errors = FieldErrors;

const DISPLAY_NAME: TextRule = TextRule::line(200);

crate::wire_rule!(
    /// What a provider does (tts, stt or llm), any case.
    ProviderType,
    schema::one_of(TYPES.iter().copied())
);
crate::wire_rule!(
    /// A provider's name as `check_name` takes it: 1 to 100 of a-z, 0-9,
    /// `-`, `_`, `.`, any case, white space around.
    ProviderName,
    schema::trimmed("[A-Za-z0-9._-]{1,100}")
);

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

impl CreateProvider {
    pub(super) fn parse(self, state: &AppState, org: Uuid) -> ApiResult<NewProviderIntegration> {
        let mut errors = Errors::default();
        let provider_type = self
            .provider_type
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !TYPES.contains(&provider_type.as_str()) {
            errors.fail("providerType", "must be one of tts, stt, llm");
        }
        let provider_name = check_name(self.provider_name, &mut errors);
        let display_name = check_display(self.display_name, &mut errors);
        let key = check_key(self.credentials, true, &mut errors).unwrap_or_default();
        let config = check_config(
            self.config,
            &provider_name,
            &state.config.elevenlabs_base_url,
            &mut errors,
        );
        let (encrypted_credentials, api_key_last4) = seal(state, &key);
        errors.done(NewProviderIntegration {
            organization_id: org,
            provider_type,
            provider_name,
            display_name,
            encrypted_credentials,
            api_key_last4,
            config,
        })
    }
}

impl ReplaceProvider {
    /// The changes to `current`; a move to another host without the key is
    /// a 422 `credential_host_changed`.
    pub(super) fn parse(
        self,
        state: &AppState,
        current: &ProviderIntegration,
    ) -> ApiResult<ProviderIntegrationUpdate> {
        let mut errors = Errors::default();
        if let Some(t) = &self.provider_type
            && t.trim().to_ascii_lowercase() != current.provider_type
        {
            errors.fail(
                "providerType",
                "cannot change; create a new provider instead",
            );
        }
        let provider_name = check_name(self.provider_name, &mut errors);
        let display_name = check_display(self.display_name, &mut errors);
        let key = check_key(self.credentials, false, &mut errors);
        let eleven = &state.config.elevenlabs_base_url;
        let config = check_config(self.config, &provider_name, eleven, &mut errors);
        if key.is_none() && errors.is_empty() {
            providers::require_same_origin(
                catalog::provider_endpoint(&current.provider_name, &current.config, eleven),
                catalog::provider_endpoint(&provider_name, &config, eleven),
            )?;
        }
        let retest =
            key.is_some() || provider_name != current.provider_name || config != current.config;
        let sealed = key.as_deref().map(|k| seal(state, k));
        errors.done(ProviderIntegrationUpdate {
            provider_name: Some(provider_name),
            display_name: Some(display_name),
            api_key_last4: sealed.as_ref().map(|s| s.1.clone()),
            encrypted_credentials: sealed.map(|s| s.0),
            config: Some(config),
            status: retest.then(|| status::UNTESTED.to_owned()),
            last_error: retest.then_some(None),
            last_tested_at: retest.then_some(None),
        })
    }
}
