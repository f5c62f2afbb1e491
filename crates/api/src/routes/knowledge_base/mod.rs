//! Knowledge base: stats, entries CRUD and ranked full-text search.
//! Any member reads, searches, creates and edits entries; deleting one needs
//! the owner or admin role.

mod dto;
mod search;
mod write;

use crate::cached::cached_json;
use actix_web::{HttpResponse, get, web};
use kv::cache::Namespace;
use storage::models::knowledge_base::{self as kb};
use storage::models::{agents, documents};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{OrNotFound, Reply};
use crate::input::{PageQuery, PageResponse, Paging};
use crate::state::State;
use dto::{CategoryCount, EntryResponse, KnowledgeBaseStats};

/// Counts of entries (per category), documents and active agents.
#[utoipa::path(tag = "knowledge-base", description = "Any member of the organization.",
    responses((status = 200, body = KnowledgeBaseStats), (status = 503)))]
#[get("/stats")]
pub async fn stats(state: State, auth: AuthUser) -> Reply {
    let org = auth.organization_id;
    cached_json(&state, Namespace::Kb, org, "stats", || async {
        let mut conn = state.db.read(auth.organization_id).await?;
        let rows = kb::category_stats(&mut conn, org).await?;
        let total_documents = documents::count(&mut conn, org).await?;
        let active_agents = agents::count_active(&mut conn, org).await?;
        Ok(KnowledgeBaseStats {
            total_entries: rows.iter().map(|r| r.1).sum(),
            total_documents,
            active_agents,
            last_updated: rows.iter().filter_map(|r| r.2).max(),
            categories: rows
                .into_iter()
                .map(|(category, count, _)| CategoryCount { category, count })
                .collect(),
        })
    })
    .await
}

/// Entries, newest first.
#[utoipa::path(tag = "knowledge-base", params(PageQuery),
    description = "Any member of the organization.",
    responses((status = 200, body = PageResponse<EntryResponse>)))]
#[get("/entries")]
pub async fn list(state: State, auth: AuthUser, Paging(page): Paging) -> Reply {
    let mut conn = state.db.read(auth.organization_id).await?;
    let rows = kb::list(&mut conn, auth.organization_id, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, EntryResponse::from)))
}

/// One entry; 404 for an unknown, malformed or other organization's id.
#[utoipa::path(tag = "knowledge-base", params(("id" = Uuid, Path)),
    description = "Any member of the organization.",
    responses((status = 200, body = EntryResponse), (status = 404)))]
#[get("/entries/{id}")]
pub async fn get(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
    let mut conn = state.db.read(auth.organization_id).await?;
    let entry = kb::find(&mut conn, auth.organization_id, id.into_inner())
        .await
        .or_not_found("knowledge base entry")?;
    Ok(HttpResponse::Ok().json(EntryResponse::from(entry)))
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stats)
        .service(search::search)
        .service(list)
        .service(write::create)
        .service(get)
        .service(write::update)
        .service(write::delete);
}
