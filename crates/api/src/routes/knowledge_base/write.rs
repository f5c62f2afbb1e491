//! Writes of knowledge-base entries by hand: create, update, delete.

use crate::cached::invalidate;
use actix_web::{HttpResponse, delete, patch, post, web};
use diesel_async::AsyncConnection;
use kv::cache::Namespace;
use storage::models::knowledge_base::{self as kb};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, OrNotFound, Reply};
use crate::state::State;

use super::{dto::CreateEntry, dto::EntryResponse, dto::UpdateEntry};

/// Adds an entry written by hand.
#[utoipa::path(tag = "knowledge-base", request_body = CreateEntry,
    description = "Any member of the organization may create entries.",
    responses((status = 201, body = EntryResponse)))]
#[post("/entries")]
pub async fn create(state: State, auth: AuthUser, body: web::Json<CreateEntry>) -> Reply {
    let new = body.into_inner().parse(&auth)?;
    let mut conn = state.db.get().await?;
    let (org, config) = (auth.organization_id, &state.config);
    let entry = conn
        .transaction::<_, ApiError, _>(async |c| {
            let bytes = new.content.len() as i64;
            crate::quota::check_knowledge_base(c, config, org, bytes, None).await?;
            Ok(kb::insert(c, &new).await?)
        })
        .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Kb]).await;
    Ok(HttpResponse::Created().json(EntryResponse::from(entry)))
}

/// Changes the given fields of an entry.
#[utoipa::path(tag = "knowledge-base", params(("id" = Uuid, Path)), request_body = UpdateEntry,
    description = "Any member of the organization may edit entries.",
    responses((status = 200, body = EntryResponse), (status = 404)))]
#[patch("/entries/{id}")]
pub async fn update(
    state: State,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdateEntry>,
) -> Reply {
    let changes = body.into_inner().parse()?;
    let mut conn = state.db.get().await?;
    let (org, id, config) = (auth.organization_id, id.into_inner(), &state.config);
    let entry = conn
        .transaction::<_, ApiError, _>(async |c| {
            if let Some(content) = &changes.content {
                let bytes = content.len() as i64;
                crate::quota::check_knowledge_base(c, config, org, bytes, Some(id)).await?;
            }
            kb::update(c, org, id, &changes)
                .await
                .or_not_found("knowledge base entry")
        })
        .await?;
    invalidate(&state, auth.organization_id, &[Namespace::Kb]).await;
    Ok(HttpResponse::Ok().json(EntryResponse::from(entry)))
}

/// Removes an entry.
#[utoipa::path(tag = "knowledge-base", params(("id" = Uuid, Path)),
    description = "Owner or admin only; members get 403.",
    responses((status = 204), (status = 403), (status = 404)))]
#[delete("/entries/{id}")]
pub async fn delete(state: State, auth: AuthUser, id: web::Path<Uuid>) -> Reply {
    auth.require_admin()?;
    let mut conn = state.db.get().await?;
    if !kb::delete(&mut conn, auth.organization_id, id.into_inner()).await? {
        return Err(ApiError::not_found("knowledge base entry"));
    }
    invalidate(&state, auth.organization_id, &[Namespace::Kb]).await;
    Ok(HttpResponse::NoContent().finish())
}
