//! Knowledge base: stats, entries CRUD and ranked full-text search.
//! Any member reads, searches, creates and edits entries; deleting one needs
//! the owner or admin role.

use crate::cached::{cached_json, digest_key, invalidate};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use storage::cache::Namespace;
use storage::models::knowledge_base::{
    self as kb, KnowledgeBaseEntry, KnowledgeBaseEntryUpdate, NewKnowledgeBaseEntry,
};
use storage::models::{agents, documents};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, OrNotFound};
use crate::input::{FieldErrors, JsonShape, PageQuery, PageResponse, Paging, TextRule, patch};
use crate::state::AppState;

const MAX_TITLE: usize = 500;
const MAX_CONTENT: usize = 200_000;
const MAX_CATEGORY: usize = 100;
const MAX_TAGS: usize = 50;
const MAX_TAG: usize = 64;
/// Longer queries answer 422: nobody types them, and they cost headline time.
const MAX_QUERY: usize = 1_000;
const DEFAULT_RESULTS: i64 = 10;
const MAX_RESULTS: i64 = 50;

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseStats {
    total_entries: i64,
    total_documents: i64,
    active_agents: i64,
    /// Entries per category, most common first; `category` null for entries without one.
    categories: Vec<CategoryCount>,
    /// When an entry last changed; null for an empty knowledge base.
    last_updated: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CategoryCount {
    category: Option<String>,
    count: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryResponse {
    id: Uuid,
    title: String,
    content: String,
    category: Option<String>,
    tags: Vec<String>,
    #[schema(value_type = Object)]
    metadata: Value,
    /// The document this entry was cut from, if any.
    document_id: Option<Uuid>,
    chunk_index: Option<i32>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<KnowledgeBaseEntry> for EntryResponse {
    fn from(e: KnowledgeBaseEntry) -> Self {
        Self {
            id: e.id,
            title: e.title,
            content: e.content,
            category: e.category,
            tags: e.tags,
            metadata: e.metadata,
            document_id: e.document_id,
            chunk_index: e.chunk_index,
            created_by: e.created_by,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new entry. `title` and `content` are required.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateEntry {
    #[schema(value_type = String, max_length = 500)]
    title: Option<String>,
    #[schema(value_type = String, max_length = 200000)]
    content: Option<String>,
    category: Option<String>,
    tags: Option<Vec<String>>,
    /// A JSON object.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
}

/// A partial update: absent fields stay; `category: null` clears it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateEntry {
    title: Option<String>,
    content: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>, nullable)]
    category: Option<Option<String>>,
    tags: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<Value>,
}

/// Web-search syntax: words (stemmed), "quoted phrase", -excluded, `or`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[schema(value_type = String, max_length = 1000)]
    query: Option<String>,
    /// Only entries of this category.
    category: Option<String>,
    /// Only entries carrying at least one of these tags.
    tags: Option<Vec<String>>,
    /// 1 to 50, default 10.
    max_results: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    id: Uuid,
    title: String,
    category: Option<String>,
    tags: Vec<String>,
    document_id: Option<Uuid>,
    /// ts_rank_cd; higher is better.
    rank: f32,
    /// Best fragments of the content, matches wrapped in `<mark>`.
    snippet: String,
}

#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResponse {
    results: Vec<SearchResult>,
    /// Number of results returned (at most maxResults).
    total: usize,
    /// The query as searched (trimmed).
    query: String,
}

const TITLE: TextRule = TextRule::line(MAX_TITLE);
const CONTENT: TextRule = TextRule::multiline(MAX_CONTENT);
const CATEGORY: TextRule = TextRule::line(MAX_CATEGORY);
const TAG: TextRule = TextRule::line(MAX_TAG);
const QUERY: TextRule = TextRule::line(MAX_QUERY);

fn tags(f: &mut FieldErrors, tags: Option<Vec<String>>) -> Option<Vec<String>> {
    tags.map(|t| f.text_list("tags", t, TAG, MAX_TAGS))
}

impl CreateEntry {
    fn parse(self, auth: &AuthUser) -> ApiResult<NewKnowledgeBaseEntry> {
        let mut f = FieldErrors::default();
        let title = f.required_text("title", self.title, TITLE);
        let content = f.required_text("content", self.content, CONTENT);
        let category = f.text("category", self.category, CATEGORY);
        let tags = tags(&mut f, self.tags).unwrap_or_default();
        let metadata = f
            .json("metadata", self.metadata, JsonShape::Object)
            .unwrap_or_else(|| json!({}));
        f.done(NewKnowledgeBaseEntry {
            organization_id: auth.organization_id,
            document_id: None,
            chunk_index: None,
            title: title.unwrap_or_default(),
            content: content.unwrap_or_default(),
            category,
            tags,
            metadata,
            created_by: auth.user_id,
        })
    }
}

impl UpdateEntry {
    fn parse(self) -> ApiResult<KnowledgeBaseEntryUpdate> {
        let mut f = FieldErrors::default();
        let update = KnowledgeBaseEntryUpdate {
            title: f.text("title", self.title, TITLE),
            content: f.text("content", self.content, CONTENT),
            category: f.patch_text("category", self.category, CATEGORY),
            tags: tags(&mut f, self.tags),
            metadata: f.json("metadata", self.metadata, JsonShape::Object),
        };
        let empty = update.title.is_none()
            && update.content.is_none()
            && update.category.is_none()
            && update.tags.is_none()
            && update.metadata.is_none();
        if empty && f.is_empty() {
            f.fail("body", "no field to update");
        }
        f.done(update)
    }
}

impl SearchRequest {
    fn parse(self) -> ApiResult<kb::Search> {
        let mut f = FieldErrors::default();
        let query = f.text("query", Some(self.query.unwrap_or_default()), QUERY);
        let category = f.text("category", self.category, CATEGORY);
        let tags = tags(&mut f, self.tags).filter(|t| !t.is_empty());
        let limit = self.max_results.unwrap_or(DEFAULT_RESULTS);
        if !(1..=MAX_RESULTS).contains(&limit) {
            f.fail("maxResults", "must be between 1 and 50");
        }
        f.done(kb::Search {
            query: query.unwrap_or_default(),
            category,
            tags,
            limit,
        })
    }
}

/// Counts of entries (per category), documents and active agents.
#[utoipa::path(get, path = "/api/knowledge-base/stats", tag = "knowledge-base",
    description = "Any member of the organization.",
    responses((status = 200, body = KnowledgeBaseStats), (status = 401), (status = 503)))]
pub async fn stats(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<HttpResponse> {
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
#[utoipa::path(get, path = "/api/knowledge-base/entries", tag = "knowledge-base", params(PageQuery),
    description = "Any member of the organization.",
    responses((status = 200, body = PageResponse<EntryResponse>), (status = 401), (status = 422)))]
pub async fn list(
    state: web::Data<AppState>,
    auth: AuthUser,
    Paging(page): Paging,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read(auth.organization_id).await?;
    let rows = kb::list(&mut conn, auth.organization_id, page).await?;
    Ok(HttpResponse::Ok().json(PageResponse::of(rows, EntryResponse::from)))
}

/// Adds an entry written by hand.
#[utoipa::path(post, path = "/api/knowledge-base/entries", tag = "knowledge-base", request_body = CreateEntry,
    description = "Any member of the organization may create entries.",
    responses((status = 201, body = EntryResponse), (status = 400), (status = 401), (status = 415), (status = 422)))]
pub async fn create(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<CreateEntry>,
) -> ApiResult<HttpResponse> {
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

/// One entry; 404 for an unknown, malformed or other organization's id.
#[utoipa::path(get, path = "/api/knowledge-base/entries/{id}", tag = "knowledge-base",
    params(("id" = Uuid, Path)), description = "Any member of the organization.",
    responses((status = 200, body = EntryResponse), (status = 401), (status = 404)))]
pub async fn get(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.db.read(auth.organization_id).await?;
    let entry = kb::find(&mut conn, auth.organization_id, id.into_inner())
        .await
        .or_not_found("knowledge base entry")?;
    Ok(HttpResponse::Ok().json(EntryResponse::from(entry)))
}

/// Changes the given fields of an entry.
#[utoipa::path(patch, path = "/api/knowledge-base/entries/{id}", tag = "knowledge-base",
    params(("id" = Uuid, Path)), request_body = UpdateEntry,
    description = "Any member of the organization may edit entries.",
    responses((status = 200, body = EntryResponse), (status = 400), (status = 401), (status = 404), (status = 415), (status = 422)))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<UpdateEntry>,
) -> ApiResult<HttpResponse> {
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
#[utoipa::path(delete, path = "/api/knowledge-base/entries/{id}", tag = "knowledge-base",
    params(("id" = Uuid, Path)), description = "Owner or admin only; members get 403.",
    responses((status = 204), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let mut conn = state.db.get().await?;
    if !kb::delete(&mut conn, auth.organization_id, id.into_inner()).await? {
        return Err(ApiError::not_found("knowledge base entry"));
    }
    invalidate(&state, auth.organization_id, &[Namespace::Kb]).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Ranked full-text search with highlighted snippets. A blank query answers
/// 422; a query of stop words only finds nothing.
#[utoipa::path(post, path = "/api/knowledge-base/search", tag = "knowledge-base", request_body = SearchRequest,
    description = "Any member of the organization. Web-search syntax: \"quoted phrase\", -exclude, or.",
    responses((status = 200, body = SearchResponse), (status = 400), (status = 401), (status = 415), (status = 422)))]
pub async fn search(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<SearchRequest>,
) -> ApiResult<HttpResponse> {
    let search = body.into_inner().parse()?;
    let key = digest_key(
        "search",
        &(&search.query, &search.category, &search.tags, search.limit),
    );
    cached_json(
        &state,
        Namespace::Kb,
        auth.organization_id,
        &key,
        || async {
            let mut conn = state.db.read(auth.organization_id).await?;
            let hits = kb::search(&mut conn, auth.organization_id, &search).await?;
            let results: Vec<SearchResult> = hits
                .into_iter()
                .map(|h| SearchResult {
                    id: h.id,
                    title: h.title,
                    category: h.category,
                    tags: h.tags,
                    document_id: h.document_id,
                    rank: h.rank,
                    snippet: h.snippet,
                })
                .collect();
            Ok(SearchResponse {
                total: results.len(),
                results,
                query: search.query.clone(),
            })
        },
    )
    .await
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/knowledge-base/stats").route(web::get().to(stats)))
        .service(web::resource("/knowledge-base/search").route(web::post().to(search)))
        .service(
            web::resource("/knowledge-base/entries")
                .route(web::get().to(list))
                .route(web::post().to(create)),
        )
        .service(
            web::resource("/knowledge-base/entries/{id}")
                .route(web::get().to(get))
                .route(web::patch().to(update))
                .route(web::delete().to(delete)),
        );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(stats, list, create, get, update, delete, search),
    components(schemas(
        KnowledgeBaseStats,
        CategoryCount,
        EntryResponse,
        PageResponse<EntryResponse>,
        CreateEntry,
        UpdateEntry,
        SearchRequest,
        SearchResult,
        SearchResponse
    ))
)]
pub struct Doc;
