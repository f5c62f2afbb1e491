//! Cached JSON answers: a read handler hands its loader to `cached_json`,
//! which answers from the cache when it can (`X-Cache: HIT-LOCAL` from this
//! process' memory, `HIT` from Redis) and otherwise runs the loader and
//! stores its serialized answer (`X-Cache: MISS`). The JSON text itself is
//! cached, so a hit costs neither a query nor serialization, and a
//! first-level hit not even a copy. Writes call `invalidate` with every
//! namespace whose answers they change.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use kv::cache::Namespace;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
            let json = serde_json::to_vec(&value).map_err(ApiError::internal)?;
            Ok::<_, ApiError>(JsonBody(Bytes::from(json)))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(("x-cache", status.as_str()))
        .body(body.0))
}

/// Drops every cached answer of `org` in these namespaces, on every
/// instance; returns once every instance's first level let go of them.
pub async fn invalidate(state: &AppState, org: Uuid, namespaces: &[Namespace]) {
    state.cache.invalidate_many(namespaces, org).await;
}

/// A short stable key for a request body (search queries and the like).
pub fn digest_key(prefix: &str, parts: &impl Serialize) -> String {
    let json = serde_json::to_vec(parts).unwrap_or_default();
    let digest = crypto::token_digest(&String::from_utf8_lossy(&json));
    format!("{prefix}:{}", hex::encode(&digest[..12]))
}

/// A serialized answer, shared (not copied) by every first-level hit.
#[derive(Clone)]
struct JsonBody(Bytes);

impl Serialize for JsonBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for JsonBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = JsonBody;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON text as bytes or a string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<JsonBody, E> {
                Ok(JsonBody(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<JsonBody, E> {
                Ok(JsonBody(Bytes::from(v)))
            }
            // Entries written before the body was stored as bytes.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<JsonBody, E> {
                self.visit_bytes(v.as_bytes())
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<JsonBody, E> {
                self.visit_byte_buf(v.into_bytes())
            }
        }
        deserializer.deserialize_byte_buf(Visitor)
    }
}
