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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::config::RedisConfig;
use crate::redis_pool::{RedisError, RedisPool};
use crate::write_pins::WritePins;

mod bus;
mod local;

use bus::{Bus, Forget};
use local::Local;

/// Cache namespaces with their TTL class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Session,
    User,
    Org,
    Agent,
    Integration,
    Provider,
    Call,
    Kb,
    Document,
    Analytics,
}

impl Namespace {
    pub const ALL: [Namespace; 10] = [
        Self::Session,
        Self::User,
        Self::Org,
        Self::Agent,
        Self::Integration,
        Self::Provider,
        Self::Call,
        Self::Kb,
        Self::Document,
        Self::Analytics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::User => "user",
            Self::Org => "org",
            Self::Agent => "agent",
            Self::Integration => "integration",
            Self::Provider => "provider",
            Self::Call => "call",
            Self::Kb => "kb",
            Self::Document => "document",
            Self::Analytics => "analytics",
        }
    }

    /// TTL classes of the scalability guide.
    pub fn ttl(self) -> Duration {
        let minutes = match self {
            Self::Session => 60,
            Self::User | Self::Org => 30,
            Self::Agent => 15,
            Self::Integration | Self::Provider => 10,
            Self::Kb | Self::Call | Self::Document => 5,
            Self::Analytics => 60,
        };
        Duration::from_secs(minutes * 60)
    }
}

/// Which level answered (for the `X-Cache` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// This process' memory, no round trip.
    HitLocal,
    /// Redis.
    Hit,
    /// Neither: the loader ran.
    Miss,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HitLocal => "HIT-LOCAL",
            Self::Hit => "HIT",
            Self::Miss => "MISS",
        }
    }

    pub fn is_hit(self) -> bool {
        !matches!(self, Self::Miss)
    }
}

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

fn record(ns: Namespace, status: CacheStatus) {
    let result = match status {
        CacheStatus::HitLocal => "hit_local",
        CacheStatus::Hit => "hit",
        CacheStatus::Miss => "miss",
    };
    metrics::counter!("cache_requests_total", "namespace" => ns.as_str(), "result" => result)
        .increment(1);
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

    /// Makes every cached entry of `scope` (an organization) in `ns`
    /// unreachable at once: one INCR, whatever the number of keys.
    pub async fn invalidate(&self, ns: Namespace, scope: Uuid) {
        self.invalidate_many(&[ns], scope).await;
    }

    /// `invalidate` of several namespaces in one round trip, then one
    /// message to every first level; returns once they all dropped them.
    pub async fn invalidate_many(&self, namespaces: &[Namespace], scope: Uuid) {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for ns in namespaces {
            let key = self.generation_key(*ns, scope);
            // The counter outlives the entries it guards by a margin, so a
            // generation never goes back to one whose keys still live.
            let ttl = ns.ttl().as_secs() * 2 + 60;
            pipe.incr(&key, 1)
                .ignore()
                .expire(&key, ttl as i64)
                .ignore();
        }
        if let Some(pins) = &self.write_pins {
            pins.add_pin(&mut pipe, scope);
        }
        let result: Result<(), _> = self
            .redis
            .run(|mut conn| async move { pipe.query_async(&mut *conn).await })
            .await;
        if result.is_err() {
            self.distrust_everything();
            if let Some(pins) = &self.write_pins {
                pins.pin_locally();
            }
        }
        self.forget(Forget::Scope(scope, namespaces)).await;
    }

    /// Drops `what` from this process' first level at once, then from every
    /// other one. When the message cannot be sent, nothing tells the others:
    /// the whole cache is distrusted and the caller waits until no first
    /// level can still be serving what it held.
    async fn forget(&self, what: Forget<'_>) {
        if let Some(local) = &self.local {
            match what {
                Forget::Scope(scope, namespaces) => local.drop_scope(namespaces, scope),
                Forget::Everything => local.flush(),
            }
        }
        if !self.bus.broadcast(what).await {
            self.epoch_bump_pending.store(true, Ordering::SeqCst);
            self.bus.outlast_stale_readers().await;
        }
    }

    /// An invalidation that did not reach Redis would leave a stale entry
    /// readable once Redis answers again. So the next call that reaches
    /// Redis first moves the global epoch, which is part of every key, and
    /// tells every first level to flush: the whole cache of this deployment
    /// starts empty rather than stale.
    fn distrust_everything(&self) {
        self.epoch_bump_pending.store(true, Ordering::SeqCst);
        if let Some(local) = &self.local {
            local.flush();
        }
    }

    /// Settles a pending epoch bump; false while it cannot be settled (then
    /// the cache must not be read).
    async fn settle_epoch(&self) -> bool {
        if !self.epoch_bump_pending.load(Ordering::SeqCst) {
            return true;
        }
        let key = self.epoch_key();
        let bumped: Result<i64, _> = self
            .redis
            .run(
                |mut conn| async move { redis::cmd("INCR").arg(key).query_async(&mut *conn).await },
            )
            .await;
        if bumped.is_err() {
            return false;
        }
        self.epoch_bump_pending.store(false, Ordering::SeqCst);
        // Other processes' first levels may hold what the lost invalidation
        // meant to drop.
        if !self.bus.broadcast(Forget::Everything).await {
            self.epoch_bump_pending.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// The cached value of `key`, or the loader's result, stored for the
    /// namespace's TTL. Concurrent misses of one key in this process run the
    /// loader once. Loader errors pass through and are never cached.
    pub async fn wrap<T, E, F, Fut>(
        &self,
        ns: Namespace,
        scope: Uuid,
        key: &str,
        loader: F,
    ) -> Result<(T, CacheStatus), E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if !self.redis.available() {
            record(ns, CacheStatus::Miss);
            return loader().await.map(|v| (v, CacheStatus::Miss));
        }
        // Taken before anything is read: a fill that raced an invalidation
        // is then never kept in the first level.
        let snapshot = self.local.as_ref().and_then(|l| l.snapshot());
        if let Some(value) = self.local_get::<T>(snapshot, ns, scope, key) {
            record(ns, CacheStatus::HitLocal);
            return Ok((value, CacheStatus::HitLocal));
        }
        let first = self.lookup::<T>(ns, scope, key).await;
        if let Lookup::Hit(value) = first {
            self.local_put(snapshot, ns, scope, key, &value);
            record(ns, CacheStatus::Hit);
            return Ok((value, CacheStatus::Hit));
        }
        let flight_key = format!("{}:{}:{key}", ns.as_str(), scope.simple());
        let gate = {
            let mut inflight = self
                .inflight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            inflight.entry(flight_key.clone()).or_default().clone()
        };
        let _turn = gate.lock().await;
        // Whoever held the gate before us may have filled the cache.
        let lookup = if let Some(value) = self.local_get::<T>(snapshot, ns, scope, key) {
            Lookup::Local(value)
        } else {
            match first {
                Lookup::Unavailable => Lookup::Unavailable,
                _ => self.lookup::<T>(ns, scope, key).await,
            }
        };
        let result = match lookup {
            Lookup::Local(value) => {
                record(ns, CacheStatus::HitLocal);
                Ok((value, CacheStatus::HitLocal))
            }
            Lookup::Hit(value) => {
                self.local_put(snapshot, ns, scope, key, &value);
                record(ns, CacheStatus::Hit);
                Ok((value, CacheStatus::Hit))
            }
            Lookup::Miss(generation) => {
                record(ns, CacheStatus::Miss);
                let value = loader().await?;
                if let Ok(bytes) = rmp_serde::to_vec_named(&value) {
                    let _ = self
                        .set_raw(ns, scope, key, &generation, bytes, ns.ttl())
                        .await;
                }
                self.local_put(snapshot, ns, scope, key, &value);
                Ok((value, CacheStatus::Miss))
            }
            Lookup::Unavailable => {
                record(ns, CacheStatus::Miss);
                loader().await.map(|v| (v, CacheStatus::Miss))
            }
        };
        drop(_turn);
        drop(gate);
        let mut inflight = self
            .inflight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if inflight
            .get(&flight_key)
            .is_some_and(|g| Arc::strong_count(g) == 1)
        {
            inflight.remove(&flight_key);
        }
        result
    }

    fn local_get<T: Clone + 'static>(
        &self,
        snapshot: Option<u64>,
        ns: Namespace,
        scope: Uuid,
        key: &str,
    ) -> Option<T> {
        snapshot?;
        self.local.as_ref()?.get(ns, scope, key)
    }

    fn local_put<T: Clone + Send + Sync + 'static>(
        &self,
        snapshot: Option<u64>,
        ns: Namespace,
        scope: Uuid,
        key: &str,
        value: &T,
    ) {
        if let (Some(local), Some(snapshot)) = (&self.local, snapshot) {
            local.put(snapshot, ns, scope, key, value.clone());
        }
    }

    async fn lookup<T: DeserializeOwned>(
        &self,
        ns: Namespace,
        scope: Uuid,
        key: &str,
    ) -> Lookup<T> {
        if !self.redis.available() || !self.settle_epoch().await {
            return Lookup::Unavailable;
        }
        match self.get_raw(ns, scope, key).await {
            Ok((generation, Some(bytes))) => match rmp_serde::from_slice(&bytes) {
                Ok(value) => Lookup::Hit(value),
                Err(_) => Lookup::Miss(generation),
            },
            Ok((generation, None)) => Lookup::Miss(generation),
            Err(_) => Lookup::Unavailable,
        }
    }
}

enum Lookup<T> {
    /// Found in this process' first level.
    Local(T),
    Hit(T),
    /// Missing at this generation: store the load under it.
    Miss(String),
    Unavailable,
}
