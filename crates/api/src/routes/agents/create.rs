//! `POST /api/agents`: creates an agent within the plan's `max_agents`.

use actix_web::{HttpResponse, post, web};
use jobs::EventKind;
use serde_json::json;
use storage::models::{agents, organizations};

use super::STALE;
use super::dto::{AgentResponse, CreateAgent, agent_data};
use super::update::duplicate_external_id;
use crate::audited::{AdminWrite, Change, audited};
use crate::error::{ApiError, Reply, code};

#[utoipa::path(tag = "agents",
    description = "Creates an agent. Owner or admin. 403 `plan_limit_reached` past the plan's max_agents; \
                   409 when another agent already has this externalAgentId.",
    request_body = CreateAgent, responses((status = 201, body = AgentResponse), (status = 403),
    (status = 409)))]
#[post("")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn create(
    AdminWrite { state, auth, meta }: AdminWrite,
    body: web::Json<CreateAgent>,
) -> Reply {
    let new = body.into_inner().parse(auth.organization_id)?;
    let agent = audited(&state, &auth, &meta, STALE, |c| {
        Box::pin(async move {
            // The row lock makes count-then-insert atomic per organization.
            let org = organizations::find_for_update(c, new.organization_id).await?;
            if agents::count(c, org.id).await? >= i64::from(org.max_agents) {
                return Err(ApiError::forbidden(
                    code::PLAN_LIMIT_REACHED,
                    "the plan's agent limit is reached",
                )
                .with_details(json!({ "limit": org.max_agents, "resource": "agents" })));
            }
            let agent = agents::insert(c, &new)
                .await
                .map_err(|e| duplicate_external_id(e.into()))?;
            let changes = json!({
                "name": agent.name, "platform": agent.platform, "externalAgentId": agent.external_agent_id,
            });
            let (id, data) = (agent.id, agent_data(&agent));
            Change::new(agent, "agent.created", Some(id), changes)
                .announce(c, org.id, EventKind::AgentCreated, data)
                .await
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(AgentResponse::from(agent)))
}
