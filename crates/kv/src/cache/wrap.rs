//! `wrap`: the first level, then Redis, then one loader per key and
//! process (single flight), storing what it loaded at the generation it saw.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::namespace::record;
use super::{Cache, CacheStatus, Namespace};

impl Cache {
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
        // Taken before anything is read: a fill that raced an invalidation
        // is then never kept in the first level.
        let snapshot = self.local.as_ref().and_then(|l| l.snapshot());
        // The first level answers even while the pool's breaker cools down:
        // it serves only while the bus proves invalidations still arrive
        // (its pings have their own connection), which is what keeps it
        // fresh, not whether the pool's last call was in time.
        if let Some(value) = self.local_get::<T>(snapshot, ns, scope, key) {
            record(ns, CacheStatus::HitLocal);
            return Ok((value, CacheStatus::HitLocal));
        }
        if !self.redis.available() {
            record(ns, CacheStatus::Miss);
            return loader().await.map(|v| (v, CacheStatus::Miss));
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
