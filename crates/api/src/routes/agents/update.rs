//! `PATCH /api/agents/{id}`: changes the given fields of an agent.

use actix_web::{HttpResponse, patch, web};
use jobs::EventKind;
use serde_json::{Value, json};
use storage::models::agents::{self, AgentUpdate};
use uuid::Uuid;

use super::STALE;
use super::dto::{AgentResponse, UpdateAgent, agent_data};
use crate::audited::{AdminWrite, Change, audited};
use crate::error::{ApiError, OrNotFound, Reply, code};

#[utoipa::path(tag = "agents",
    description = "Changes the given fields; `null` clears a nullable one. Owner or admin.",
    params(("id" = Uuid, Path)), request_body = UpdateAgent,
    responses((status = 200, body = AgentResponse), (status = 403), (status = 404), (status = 409)))]
#[patch("/{id}")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn update(
    AdminWrite { state, auth, meta }: AdminWrite,
    id: web::Path<Uuid>,
    body: web::Json<UpdateAgent>,
) -> Reply {
    let changes = body.into_inner().parse()?;
    let (org, id) = (auth.organization_id, id.into_inner());
    let agent = audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            let agent = agents::update(c, org, id, &changes)
                .await
                .or_not_found("agent")
                .map_err(duplicate_external_id)?;
            let data = agent_data(&agent);
            Change::new(agent, "agent.updated", Some(id), changed_fields(&changes))
                .announce(c, org, EventKind::AgentUpdated, data)
                .await
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(AgentResponse::from(agent)))
}

/// The audit record of a change: field names only for free text (prompts can
/// be long and private), values for the short identifying fields.
fn changed_fields(changes: &AgentUpdate) -> Value {
    let fields: Vec<&str> = [
        (changes.external_agent_id.is_some(), "externalAgentId"),
        (changes.name.is_some(), "name"),
        (changes.description.is_some(), "description"),
        (changes.first_message.is_some(), "firstMessage"),
        (changes.system_prompt.is_some(), "systemPrompt"),
        (changes.language.is_some(), "language"),
        (changes.voice_id.is_some(), "voiceId"),
        (changes.voice_settings.is_some(), "voiceSettings"),
        (changes.llm_settings.is_some(), "llmSettings"),
        (changes.tools.is_some(), "tools"),
        (changes.is_active.is_some(), "isActive"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    json!({ "fields": fields })
}

/// A unique violation on an agent write can only be the platform agent id.
pub(super) fn duplicate_external_id(e: ApiError) -> ApiError {
    if e.code() == code::ALREADY_EXISTS {
        ApiError::conflict(
            code::DUPLICATE_EXTERNAL_AGENT_ID,
            "an agent with this externalAgentId already exists",
        )
    } else {
        e
    }
}
