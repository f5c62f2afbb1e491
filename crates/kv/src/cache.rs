//! The Redis cache: `get`/`set`/`del` and `wrap(namespace, key, ttl, loader)`,
//! namespaced per organization, MessagePack-encoded, with TTL classes.
//!
//! Invalidation without KEYS or SCAN: every organization has a generation
//! counter per namespace, and it is part of each key. Bumping the counter
//! makes every older key of that organization and namespace unreachable at
//! once (they expire by TTL). A reader remembers the generation it saw before
//! loading and writes under that generation, so a load that raced a write can
//! never be stored where later readers would find it.
//!
//! No stampede: concurrent misses of one key in this process wait for the
//! first loader instead of running their own. Redis trouble never fails a
//! request: after an error the cache is bypassed for a short cool-down (so a
//! dead Redis costs no timeouts), and the error is logged once per interval.
//!
//! A cache built `with_first_level` also keeps decoded answers in process
//! memory (`local.rs`), kept honest by the invalidation bus (`bus.rs`):
//! `invalidate` returns once every listening process dropped the scope.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::redis_pool::{RedisError, RedisPool};
use crate::write_pins::WritePins;
use settings::RedisConfig;

mod bus;
mod invalidate;
mod local;
mod namespace;
mod wrap;

use bus::{Bus, Forget};
use local::Local;
pub use namespace::{CacheStatus, Namespace};

/// Returns the stored value of `{base}{generation}` and the generation, in
/// one round trip. The generation is `{epoch}.{counter}`: the deployment-wide
/// epoch, then the organization's counter for the namespace.
const GET_SCRIPT: &str = r"
local generation = (redis.call('GET', KEYS[2]) or '0') .. '.' .. (redis.call('GET', KEYS[1]) or '0')
return {generation, redis.call('GET', ARGV[1] .. generation)}
";

#[derive(Clone)]
pub struct Cache {
    redis: RedisPool,
    get_script: Arc<redis::Script>,
    inflight: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    epoch_bump_pending: Arc<AtomicBool>,
    /// Read-your-writes pins, set with every invalidation (see `write_pins`).
    write_pins: Option<WritePins>,
    local: Option<Arc<Local>>,
    bus: Arc<Bus>,
}

impl Cache {
    /// Redis only. Its invalidations still reach the first levels of other
    /// processes, without waiting for them.
    pub fn new(redis: RedisPool) -> Self {
        let bus = Bus::publisher(redis.clone());
        Self::build(redis, None, bus)
    }

    /// Redis only, but invalidations wait until every first level of the
    /// deployment dropped the answers (for processes that write, like the
    /// worker). Needs a tokio runtime: it spawns the bus listener.
    pub fn acknowledged(redis: RedisPool, config: RedisConfig) -> Self {
        let bus = Bus::listening(redis.clone(), config, None);
        Self::build(redis, None, bus)
    }

    /// A first level in process memory in front of Redis (the API server).
    /// Needs a tokio runtime: it spawns the bus listener.
    pub fn with_first_level(redis: RedisPool, config: RedisConfig) -> Self {
        let local = Arc::new(Local::new());
        let bus = Bus::listening(redis.clone(), config, Some(local.clone()));
        Self::build(redis, Some(local), bus)
    }

    fn build(redis: RedisPool, local: Option<Arc<Local>>, bus: Arc<Bus>) -> Self {
        Self {
            redis,
            get_script: Arc::new(redis::Script::new(GET_SCRIPT)),
            inflight: Arc::default(),
            epoch_bump_pending: Arc::default(),
            write_pins: None,
            local,
            bus,
        }
    }

    /// Pins the organization to the primary in the same atomic step as each
    /// invalidation: a reader that sees the new generation sees the pin too,
    /// so it never fills the new generation from a replica that predates
    /// the write (when replicas are configured; `None` otherwise).
    pub fn with_write_pins(mut self, pins: Option<WritePins>) -> Self {
        self.write_pins = pins;
        self
    }

    /// False while the cache is bypassed after a Redis error.
    pub fn available(&self) -> bool {
        self.redis.available()
    }

    fn epoch_key(&self) -> String {
        self.redis.key("cache:epoch")
    }

    fn generation_key(&self, ns: Namespace, scope: Uuid) -> String {
        self.redis
            .key(&format!("cache:gen:{}:{}", ns.as_str(), scope.simple()))
    }

    fn base_key(&self, ns: Namespace, scope: Uuid, key: &str) -> String {
        self.redis
            .key(&format!("cache:{}:{}:{key}:", ns.as_str(), scope.simple()))
    }

    /// The cached bytes of `key` and the generation they were looked up at.
    async fn get_raw(
        &self,
        ns: Namespace,
        scope: Uuid,
        key: &str,
    ) -> Result<(String, Option<Vec<u8>>), RedisError> {
        let generation_key = self.generation_key(ns, scope);
        let epoch_key = self.epoch_key();
        let base = self.base_key(ns, scope, key);
        let script = self.get_script.clone();
        self.redis
            .run(|mut conn| async move {
                script
                    .key(generation_key)
                    .key(epoch_key)
                    .arg(base)
                    .invoke_async(&mut *conn)
                    .await
            })
            .await
    }

    async fn set_raw(
        &self,
        ns: Namespace,
        scope: Uuid,
        key: &str,
        generation: &str,
        bytes: Vec<u8>,
        ttl: Duration,
    ) -> Result<(), RedisError> {
        let full = format!("{}{generation}", self.base_key(ns, scope, key));
        let secs = ttl.as_secs().max(1);
        self.redis
            .run(|mut conn| async move {
                redis::cmd("SET")
                    .arg(full)
                    .arg(bytes)
                    .arg("EX")
                    .arg(secs)
                    .query_async(&mut *conn)
                    .await
            })
            .await
    }

    /// A cached value; `None` on a miss, when Redis is unavailable, or when
    /// the stored bytes no longer decode (a changed type).
    pub async fn get<T: DeserializeOwned>(
        &self,
        ns: Namespace,
        scope: Uuid,
        key: &str,
    ) -> Option<T> {
        if !self.redis.available() || !self.settle_epoch().await {
            return None;
        }
        match self.get_raw(ns, scope, key).await {
            Ok((_, Some(bytes))) => rmp_serde::from_slice(&bytes).ok(),
            Ok((_, None)) => None,
            Err(_) => None,
        }
    }

    /// Stores a value under the current generation.
    pub async fn set<T: Serialize>(&self, ns: Namespace, scope: Uuid, key: &str, value: &T) {
        if !self.redis.available() || !self.settle_epoch().await {
            return;
        }
        let Ok(bytes) = rmp_serde::to_vec_named(value) else {
            return;
        };
        if let Ok((generation, _)) = self.get_raw(ns, scope, key).await {
            // A failed write only costs a later miss.
            let _ = self
                .set_raw(ns, scope, key, &generation, bytes, ns.ttl())
                .await;
        }
        // First levels hold whole scopes; the value changed under them.
        self.forget(Forget::Scope(scope, &[ns])).await;
    }

    /// Deletes one key of the current generation.
    pub async fn del(&self, ns: Namespace, scope: Uuid, key: &str) {
        let deleted: Result<i64, _> = match self.get_raw(ns, scope, key).await {
            Ok((generation, _)) => {
                let full = format!("{}{generation}", self.base_key(ns, scope, key));
                self.redis
                    .run(|mut conn| async move {
                        redis::cmd("DEL").arg(full).query_async(&mut *conn).await
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        if deleted.is_err() {
            self.distrust_everything();
        }
        self.forget(Forget::Scope(scope, &[ns])).await;
    }
}
