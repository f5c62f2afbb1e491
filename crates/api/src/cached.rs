//! Cached JSON answers: a read handler hands its loader to `cached_json`,
//! which answers from Redis when it can (`X-Cache: HIT`) and otherwise runs
//! the loader and stores its serialized answer (`X-Cache: MISS`). The JSON
//! text itself is cached, so a hit costs neither a query nor serialization.
//! Writes call `invalidate` with every namespace whose answers they change.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use serde::Serialize;
use storage::cache::Namespace;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn cached_json<T, F, Fut>(
    state: &AppState,
    ns: Namespace,
    org: Uuid,
    key: &str,
    loader: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<T>>,
{
    let (body, status) = state
        .cache
        .wrap(ns, org, key, || async {
            let value = loader().await?;
            serde_json::to_string(&value).map_err(ApiError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(("x-cache", status.as_str()))
        .body(body))
}

/// Drops every cached answer of `org` in these namespaces, on every instance.
pub async fn invalidate(state: &AppState, org: Uuid, namespaces: &[Namespace]) {
    for ns in namespaces {
        state.cache.invalidate(*ns, org).await;
    }
}

/// A short stable key for a request body (search queries and the like).
pub fn digest_key(prefix: &str, parts: &impl Serialize) -> String {
    let json = serde_json::to_vec(parts).unwrap_or_default();
    let digest = storage::crypto::token_digest(&String::from_utf8_lossy(&json));
    format!("{prefix}:{}", hex::encode(&digest[..12]))
}
