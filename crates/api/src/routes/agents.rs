//! `/api/agents`: an organization's voice agents. Members read; owners and
//! admins create, change and delete, each write audited in its transaction.
//! Creation is bounded by the plan's `max_agents`.

use crate::cached::{cached_json, invalidate};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::cache::Namespace;
use storage::models::agents::{self, Agent, AgentUpdate, NewAgent};
use storage::models::organizations;
use uuid::Uuid;

use crate::audit::{self, AuditEvent};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, OrNotFound, code};
use crate::input::{FieldErrors, JsonShape, PageQuery, PageResponse, Paging, TextRule, patch};
use crate::request_meta::RequestMeta;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/agents")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/agents/{id}")
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create, get, update, delete),
    components(schemas(AgentResponse, PageResponse<AgentResponse>, CreateAgent, UpdateAgent))
)]
pub struct Doc;

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
    pub name: Option<String>,
    /// elevenlabs (default), vapi, retell or custom.
    pub platform: Option<String>,
    pub external_agent_id: Option<String>,
    pub description: Option<String>,
    pub first_message: Option<String>,
    pub system_prompt: Option<String>,
    /// BCP 47 language tag, e.g. `en` or `pt-BR` (default `en`).
    pub language: Option<String>,
    pub voice_id: Option<String>,
    /// A JSON object.
    pub voice_settings: Option<Value>,
    /// A JSON object.
    pub llm_settings: Option<Value>,
    /// A JSON array.
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
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub external_agent_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub first_message: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub system_prompt: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub voice_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<Object>)]
    pub voice_settings: Option<Option<Value>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<Object>)]
    pub llm_settings: Option<Option<Value>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub tools: Option<Option<Value>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<bool>)]
    pub is_active: Option<Option<bool>>,
}

const NAME: TextRule = TextRule::line(200);
const SHORT_ID: TextRule = TextRule::line(200);
const MESSAGE: TextRule = TextRule::multiline(5000).blank_ok();
const PROMPT: TextRule = TextRule::multiline(100_000).blank_ok();

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
    fn parse(self, org: Uuid) -> ApiResult<NewAgent> {
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
    fn parse(self) -> ApiResult<AgentUpdate> {
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

/// The audit record of a change: field names only for free text (prompts can
/// be long and private), values for the short identifying fields.
fn changed_fields(changes: &AgentUpdate) -> Value {
    let mut fields = Vec::new();
    let mut mark = |set: bool, name: &str| {
        if set {
            fields.push(name.to_owned());
        }
    };
    mark(changes.external_agent_id.is_some(), "externalAgentId");
    mark(changes.name.is_some(), "name");
    mark(changes.description.is_some(), "description");
    mark(changes.first_message.is_some(), "firstMessage");
    mark(changes.system_prompt.is_some(), "systemPrompt");
    mark(changes.language.is_some(), "language");
    mark(changes.voice_id.is_some(), "voiceId");
    mark(changes.voice_settings.is_some(), "voiceSettings");
    mark(changes.llm_settings.is_some(), "llmSettings");
    mark(changes.tools.is_some(), "tools");
    mark(changes.is_active.is_some(), "isActive");
    json!({ "fields": fields })
}

/// A unique violation on an agent write can only be the platform agent id.
fn duplicate_external_id(e: ApiError) -> ApiError {
    if e.code() == code::ALREADY_EXISTS {
        ApiError::conflict(
            code::DUPLICATE_EXTERNAL_AGENT_ID,
            "an agent with this externalAgentId already exists",
        )
    } else {
        e
    }
}

#[utoipa::path(
    get, path = "/api/agents", tag = "agents",
    description = "The organization's agents, newest first. Any role.",
    params(PageQuery),
    responses((status = 200, body = PageResponse<AgentResponse>), (status = 401), (status = 422)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    page: Paging,
) -> ApiResult<HttpResponse> {
    cached_json(
        &state,
        Namespace::Agent,
        auth.organization_id,
        &page.cache_key(),
        || async {
            let mut conn = state.db.read(auth.organization_id).await?;
            let rows = agents::list(&mut conn, auth.organization_id, *page).await?;
            Ok(PageResponse::of(rows, AgentResponse::from))
        },
    )
    .await
}

#[utoipa::path(
    post, path = "/api/agents", tag = "agents",
    description = "Creates an agent. Owner or admin. 403 `plan_limit_reached` past the plan's max_agents; \
                   409 when another agent already has this externalAgentId.",
    request_body = CreateAgent,
    responses((status = 201, body = AgentResponse), (status = 401), (status = 403), (status = 409), (status = 422)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    body: web::Json<CreateAgent>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let new = body.into_inner().parse(auth.organization_id)?;
    let org_id = auth.organization_id;
    let mut conn = state.db.get().await?;
    let (agent, deliveries) = conn
        .transaction::<_, ApiError, _>(async move |c| {
                // The row lock makes count-then-insert atomic per organization.
                let org = organizations::find_for_update(c, auth.organization_id).await?;
                if agents::count(c, org.id).await? >= i64::from(org.max_agents) {
                    return Err(ApiError::forbidden(code::PLAN_LIMIT_REACHED, "the plan's agent limit is reached")
                        .with_details(json!({ "limit": org.max_agents, "resource": "agents" })));
                }
                let agent = agents::insert(c, &new).await.map_err(|e| duplicate_external_id(e.into()))?;
                let event = AuditEvent {
                    action: "agent.created",
                    entity_type: "agent",
                    entity_id: Some(agent.id),
                    changes: json!({ "name": agent.name, "platform": agent.platform, "externalAgentId": agent.external_agent_id }),
                };
                audit::record(c, &auth, &meta, event).await?;
                let deliveries = jobs::publish_event(c, org.id, "agent.created", agent_data(&agent)).await?;
                Ok((agent, deliveries))
            })
        .await?;
    notify(
        &state,
        org_id,
        "agent.created",
        agent_data(&agent),
        &deliveries,
    )
    .await;
    Ok(HttpResponse::Created().json(AgentResponse::from(agent)))
}

#[utoipa::path(
    get, path = "/api/agents/{id}", tag = "agents",
    description = "One agent. Any role. Unknown, malformed and other organizations' ids answer 404.",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AgentResponse), (status = 401), (status = 404)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn get(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    cached_json(
        &state,
        Namespace::Agent,
        auth.organization_id,
        &format!("id:{id}"),
        || async {
            let mut conn = state.db.get().await?;
            let agent = agents::find(&mut conn, auth.organization_id, id)
                .await
                .or_not_found("agent")?;
            Ok(AgentResponse::from(agent))
        },
    )
    .await
}

#[utoipa::path(
    patch, path = "/api/agents/{id}", tag = "agents",
    description = "Changes the given fields; `null` clears a nullable one. Owner or admin.",
    params(("id" = Uuid, Path)),
    request_body = UpdateAgent,
    responses((status = 200, body = AgentResponse), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
    body: web::Json<UpdateAgent>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let changes = body.into_inner().parse()?;
    let id = id.into_inner();
    let org_id = auth.organization_id;
    let mut conn = state.db.get().await?;
    let (agent, deliveries) = conn
        .transaction::<_, ApiError, _>(async move |c| {
            let agent = agents::update(c, auth.organization_id, id, &changes)
                .await
                .or_not_found("agent")
                .map_err(duplicate_external_id)?;
            let event = AuditEvent {
                action: "agent.updated",
                entity_type: "agent",
                entity_id: Some(agent.id),
                changes: changed_fields(&changes),
            };
            audit::record(c, &auth, &meta, event).await?;
            let deliveries = jobs::publish_event(
                c,
                agent.organization_id,
                "agent.updated",
                agent_data(&agent),
            )
            .await?;
            Ok((agent, deliveries))
        })
        .await?;
    notify(
        &state,
        org_id,
        "agent.updated",
        agent_data(&agent),
        &deliveries,
    )
    .await;
    Ok(HttpResponse::Ok().json(AgentResponse::from(agent)))
}

#[utoipa::path(
    delete, path = "/api/agents/{id}", tag = "agents",
    description = "Deletes an agent; its call history stays (agentId becomes null). Owner or admin.",
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    meta: RequestMeta,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let id = id.into_inner();
    let org_id = auth.organization_id;
    let mut conn = state.db.get().await?;
    let deliveries = conn
        .transaction::<_, ApiError, _>(async move |c| {
            if !agents::delete(c, auth.organization_id, id).await? {
                return Err(ApiError::not_found("agent"));
            }
            let event = AuditEvent {
                action: "agent.deleted",
                entity_type: "agent",
                entity_id: Some(id),
                changes: json!({}),
            };
            audit::record(c, &auth, &meta, event).await?;
            Ok(jobs::publish_event(
                c,
                auth.organization_id,
                "agent.deleted",
                json!({ "id": id }),
            )
            .await?)
        })
        .await?;
    notify(
        &state,
        org_id,
        "agent.deleted",
        json!({ "id": id }),
        &deliveries,
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// The `data` of agent.created / agent.updated: the agent as the API shows it.
fn agent_data(agent: &Agent) -> Value {
    serde_json::to_value(AgentResponse::from(agent.clone())).unwrap_or_default()
}

/// After an agent write commits: drop the cached answers it changes (agents,
/// and the active-agent counts of knowledge-base stats and analytics), queue
/// the webhook deliveries the transaction inserted, and tell the
/// organization's live clients.
async fn notify(state: &AppState, org: Uuid, kind: &str, data: Value, deliveries: &[Uuid]) {
    invalidate(
        state,
        org,
        &[Namespace::Agent, Namespace::Kb, Namespace::Analytics],
    )
    .await;
    state.jobs.enqueue_webhook_deliveries(deliveries).await;
    state
        .events
        .publish_or_log(&storage::events::Event::new(kind, org, data))
        .await;
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
