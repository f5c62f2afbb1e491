//! `/api/agents`: an organization's voice agents. Members read; owners and
//! admins create, change and delete, each write audited in its transaction.
//! Creation is bounded by the plan's `max_agents`.

mod create;
mod delete;
mod dto;
mod update;

use actix_web::{get, web};
use kv::cache::Namespace;
use storage::models::agents;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::cached::cached_json;
use crate::error::{OrNotFound, Reply};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;
pub use dto::{AgentResponse, CreateAgent, UpdateAgent};

/// What an agent write makes stale: agents, and the active-agent counts of
/// knowledge-base stats and analytics.
const STALE: &[Namespace] = &[Namespace::Agent, Namespace::Kb, Namespace::Analytics];

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create::create)
        .service(get)
        .service(update::update)
        .service(delete::delete);
}

#[utoipa::path(tag = "agents", description = "The organization's agents, newest first. Any role.",
    params(PageQuery), responses((status = 200, body = PageResponse<AgentResponse>)))]
#[get("")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn list(state: State, auth: AuthUser, page: Paging) -> Reply {
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

#[utoipa::path(tag = "agents",
    description = "One agent. Any role. Unknown, malformed and other organizations' ids answer 404.",
    params(("id" = Uuid, Path)), responses((status = 200, body = AgentResponse), (status = 404)))]
#[get("/{id}")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn get(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
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
