//! The wire shapes of voice-platform integrations and the parsing of a save.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::models::integrations::Integration;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::input::{FieldErrors, JsonShape, TextRule, schema};
use crate::providers::{self, catalog};
use crate::state::AppState;

/// Platforms the `integrations` table accepts.
pub(super) const PROVIDERS: &[&str] = &["elevenlabs", "vapi", "retell"];

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationResponse {
    pub(super) id: Uuid,
    pub(super) provider: String,
    pub(super) category: String,
    /// The only part of the API key ever shown again.
    api_key_last4: String,
    /// Whether a webhook signing secret is stored (it is never shown).
    pub(super) has_webhook_secret: bool,
    #[schema(value_type = Object)]
    pub(super) config: Value,
    /// untested, active (last test passed) or error.
    pub(super) status: String,
    pub(super) last_tested_at: Option<DateTime<Utc>>,
    pub(super) last_error: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

impl IntegrationResponse {
    pub(super) fn new(row: Integration, state: &AppState) -> Self {
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
    pub(super) data: Vec<IntegrationResponse>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsInput {
    #[schema(value_type = providers::ApiKeyText, required)]
    pub(super) api_key: Option<String>,
    /// Secret of inbound webhook signatures; kept when omitted on an update.
    #[schema(value_type = Option<WebhookSecret>)]
    pub(super) webhook_secret: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SaveIntegration {
    #[schema(value_type = IntegrationProvider, required)]
    pub(super) provider: Option<String>,
    #[schema(value_type = CredentialsInput, required)]
    pub(super) credentials: Option<CredentialsInput>,
    /// A JSON object; kept when omitted on an update. vapi and retell accept
    /// `baseUrl`.
    #[schema(value_type = Option<schema::JsonObject>)]
    pub(super) config: Option<Value>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TestIntegration {
    #[schema(value_type = IntegrationProvider, required)]
    pub(super) provider: Option<String>,
}

pub(super) struct Parsed {
    pub(super) provider: String,
    pub(super) api_key: String,
    pub(super) webhook_secret: Option<String>,
    pub(super) config: Option<Value>,
}

/// The secret ElevenLabs signs inbound webhooks with.
pub(super) const WEBHOOK_SECRET: TextRule = TextRule::line(1024);

crate::wire_rule!(
    /// A platform an integration connects (`parse_provider`).
    IntegrationProvider,
    schema::one_of(PROVIDERS.iter().copied())
);
crate::wire_rule!(
    /// A webhook signing secret: one line.
    WebhookSecret,
    schema::line(WEBHOOK_SECRET.max_chars())
);

pub(super) fn parse_provider(provider: Option<String>, errors: &mut FieldErrors) -> String {
    let provider = provider.unwrap_or_default().trim().to_ascii_lowercase();
    if !PROVIDERS.contains(&provider.as_str()) {
        errors.fail("provider", "must be one of elevenlabs, vapi, retell");
    }
    provider
}

impl SaveIntegration {
    pub(super) fn parse(self, elevenlabs_base: &str) -> ApiResult<Parsed> {
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
