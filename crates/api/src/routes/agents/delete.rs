//! `DELETE /api/agents/{id}`: removes an agent; its call history stays.

use actix_web::{HttpResponse, delete, web};
use jobs::EventKind;
use serde_json::json;
use storage::models::agents;
use uuid::Uuid;

use super::STALE;
use crate::audited::{AdminWrite, Change, audited};
use crate::error::Reply;

#[utoipa::path(tag = "agents",
    description = "Deletes an agent; its call history stays (agentId becomes null). Owner or admin.",
    params(("id" = Uuid, Path)), responses((status = 204), (status = 403), (status = 404)))]
#[delete("/{id}")]
#[tracing::instrument(skip_all, fields(org = %auth.organization_id))]
pub async fn delete(AdminWrite { state, auth, meta }: AdminWrite, id: web::Path<Uuid>) -> Reply {
    let (org, id) = (auth.organization_id, id.into_inner());
    audited(&state, &auth, &meta, STALE, move |c| {
        Box::pin(async move {
            let found = agents::delete(c, org, id).await?;
            Change::deleted(found, "agent.deleted", id)?
                .announce(c, org, EventKind::AgentDeleted, json!({ "id": id }))
                .await
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
