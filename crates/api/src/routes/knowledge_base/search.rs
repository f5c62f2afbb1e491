//! Ranked full-text search with escaped, highlighted snippets.

use crate::cached::{cached_json, digest_key};
use actix_web::{post, web};
use kv::cache::Namespace;
use storage::models::knowledge_base::{self as kb};

use crate::auth::AuthUser;
use crate::error::Reply;
use crate::state::State;

use super::{dto::SearchRequest, dto::SearchResponse, dto::SearchResult};

/// Ranked full-text search with highlighted snippets. A blank query answers
/// 422; a query of stop words only finds nothing.
#[utoipa::path(tag = "knowledge-base", request_body = SearchRequest,
    description = "Any member of the organization. Web-search syntax: \"quoted phrase\", -exclude, or.",
    responses((status = 200, body = SearchResponse)))]
#[post("/search")]
pub async fn search(state: State, auth: AuthUser, body: web::Json<SearchRequest>) -> Reply {
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
