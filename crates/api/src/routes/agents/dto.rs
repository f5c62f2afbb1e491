//! The wire shapes of `/api/agents` and their parsing into storage types:
//! every text through the edge's rules, every JSON field of its shape.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::models::agents::{Agent, AgentUpdate, NewAgent};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::input::{FieldErrors, JsonShape, TextRule, patch, schema};

const PLATFORMS: [&str; 4] = ["elevenlabs", "vapi", "retell", "custom"];

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentResponse {
    pub id: Uuid,
    pub platform: String,
    pub external_agent_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub first_message: Option<String>,
    pub system_prompt: Option<String>,
    pub language: String,
    pub voice_id: Option<String>,
    pub voice_settings: Value,
    pub llm_settings: Value,
    pub tools: Value,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Agent> for AgentResponse {
    fn from(a: Agent) -> Self {
        Self {
            id: a.id,
            platform: a.platform,
            external_agent_id: a.external_agent_id,
            name: a.name,
            description: a.description,
            first_message: a.first_message,
            system_prompt: a.system_prompt,
            language: a.language,
            voice_id: a.voice_id,
            voice_settings: a.voice_settings,
            llm_settings: a.llm_settings,
            tools: a.tools,
            is_active: a.is_active,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// `POST /api/agents`: only `name` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateAgent {
    #[schema(value_type = schema::NameText, required)]
    pub name: Option<String>,
    /// elevenlabs (default), vapi, retell or custom.
    #[schema(value_type = Option<Platform>)]
    pub platform: Option<String>,
    #[schema(value_type = Option<ShortId>)]
    pub external_agent_id: Option<String>,
    #[schema(value_type = Option<Message>)]
    pub description: Option<String>,
    #[schema(value_type = Option<Message>)]
    pub first_message: Option<String>,
    #[schema(value_type = Option<Prompt>)]
    pub system_prompt: Option<String>,
    /// BCP 47 language tag, e.g. `en` or `pt-BR` (default `en`).
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<ShortId>)]
    pub voice_id: Option<String>,
    /// A JSON object.
    #[schema(value_type = Option<schema::JsonObject>)]
    pub voice_settings: Option<Value>,
    /// A JSON object.
    #[schema(value_type = Option<schema::JsonObject>)]
    pub llm_settings: Option<Value>,
    /// A JSON array.
    #[schema(value_type = Option<schema::JsonArray>)]
    pub tools: Option<Value>,
    pub is_active: Option<bool>,
}

/// `PATCH /api/agents/{id}`: absent fields stay; `null` clears a nullable
/// field (externalAgentId, description, firstMessage, systemPrompt, voiceId)
/// and is a 422 for the others.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAgent {
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = schema::NameText)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<ShortId>)]
    pub external_agent_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<Message>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<Message>)]
    pub first_message: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<Prompt>)]
    pub system_prompt: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Language)]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<ShortId>)]
    pub voice_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = schema::JsonObject)]
    pub voice_settings: Option<Option<Value>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = schema::JsonObject)]
    pub llm_settings: Option<Option<Value>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    /// A JSON array.
    #[schema(value_type = schema::JsonArray)]
    pub tools: Option<Option<Value>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = bool)]
    pub is_active: Option<Option<bool>>,
}

const NAME: TextRule = TextRule::line(200);
const SHORT_ID: TextRule = TextRule::line(200);
const MESSAGE: TextRule = TextRule::multiline(5000).blank_ok();
const PROMPT: TextRule = TextRule::multiline(100_000).blank_ok();

crate::wire_rule!(
    /// An agent's platform.
    Platform,
    schema::one_of(PLATFORMS)
);
crate::wire_rule!(
    /// An external or voice id: one line, 1 to 200 characters.
    ShortId,
    schema::line(SHORT_ID.max_chars())
);
crate::wire_rule!(
    /// A description or first message: multi-line, may be empty.
    Message,
    schema::multiline(MESSAGE.max_chars())
);
crate::wire_rule!(
    /// A system prompt: multi-line, may be empty.
    Prompt,
    schema::multiline(PROMPT.max_chars())
);
crate::wire_rule!(
    /// A language tag as `is_language_tag` takes it (`en`, `pt-BR`).
    Language,
    schema::text(Some("^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$".into()), None, 12)
);

fn check_language(f: &mut FieldErrors, value: Option<String>) -> Option<String> {
    let value = value?;
    if !is_language_tag(&value) {
        f.fail("language", "must be a language tag such as en or pt-BR");
        return None;
    }
    Some(value)
}

/// `^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$`, the rule the database enforces.
fn is_language_tag(tag: &str) -> bool {
    let (primary, region) = match tag.split_once('-') {
        Some((p, r)) => (p, Some(r)),
        None => (tag, None),
    };
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_lowercase())
        && region.is_none_or(|r| {
            (2..=8).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

impl CreateAgent {
    pub(super) fn parse(self, org: Uuid) -> ApiResult<NewAgent> {
        let mut f = FieldErrors::default();
        let name = f.required_text("name", self.name, NAME);
        let platform = self.platform.unwrap_or_else(|| "elevenlabs".into());
        if !PLATFORMS.contains(&platform.as_str()) {
            f.fail(
                "platform",
                "must be one of elevenlabs, vapi, retell, custom",
            );
        }
        let agent = NewAgent {
            organization_id: org,
            platform,
            external_agent_id: f.text("externalAgentId", self.external_agent_id, SHORT_ID),
            name: name.unwrap_or_default(),
            description: f.text("description", self.description, MESSAGE),
            first_message: f.text("firstMessage", self.first_message, MESSAGE),
            system_prompt: f.text("systemPrompt", self.system_prompt, PROMPT),
            language: check_language(&mut f, self.language).unwrap_or_else(|| "en".into()),
            voice_id: f.text("voiceId", self.voice_id, SHORT_ID),
            voice_settings: f
                .json("voiceSettings", self.voice_settings, JsonShape::Object)
                .unwrap_or_else(|| json!({})),
            llm_settings: f
                .json("llmSettings", self.llm_settings, JsonShape::Object)
                .unwrap_or_else(|| json!({})),
            tools: f
                .json("tools", self.tools, JsonShape::Array)
                .unwrap_or_else(|| json!([])),
            is_active: self.is_active.unwrap_or(true),
        };
        f.done(agent)
    }
}

impl UpdateAgent {
    pub(super) fn parse(self) -> ApiResult<AgentUpdate> {
        let mut f = FieldErrors::default();
        let name = f.not_null("name", self.name);
        let language = f.not_null("language", self.language);
        let voice_settings = f.not_null("voiceSettings", self.voice_settings);
        let llm_settings = f.not_null("llmSettings", self.llm_settings);
        let tools = f.not_null("tools", self.tools);
        let changes = AgentUpdate {
            external_agent_id: f.patch_text("externalAgentId", self.external_agent_id, SHORT_ID),
            name: f.text("name", name, NAME),
            description: f.patch_text("description", self.description, MESSAGE),
            first_message: f.patch_text("firstMessage", self.first_message, MESSAGE),
            system_prompt: f.patch_text("systemPrompt", self.system_prompt, PROMPT),
            language: check_language(&mut f, language),
            voice_id: f.patch_text("voiceId", self.voice_id, SHORT_ID),
            voice_settings: f.json("voiceSettings", voice_settings, JsonShape::Object),
            llm_settings: f.json("llmSettings", llm_settings, JsonShape::Object),
            tools: f.json("tools", tools, JsonShape::Array),
            is_active: f.not_null("isActive", self.is_active),
        };
        f.done(changes)
    }
}

/// The `data` of agent.created / agent.updated: the agent as the API shows it.
pub(super) fn agent_data(agent: &Agent) -> Value {
    serde_json::to_value(AgentResponse::from(agent.clone())).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for ok in ["en", "pt-BR", "yue", "en-US", "es-419"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "E", "english", "en-", "en_US", "en-US-x-y"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn patch_distinguishes_absent_from_null() {
        let patch: UpdateAgent =
            serde_json::from_str(r#"{"description": null, "name": "A"}"#).unwrap();
        assert_eq!(patch.description, Some(None));
        assert_eq!(patch.voice_id, None);
        let changes = patch.parse().unwrap();
        assert_eq!(changes.description, Some(None));
        assert!(changes.first_message.is_none());
    }
}
