//! Read-your-writes across instances: after an organization writes, its
//! reads go to the primary for a window longer than any lag a chosen replica
//! may have. The pin is a Redis key with that window as TTL, so every API
//! instance and worker sees it; the cache sets it in the same atomic step
//! that invalidates, so no reader can see the new cache generation without
//! also seeing the pin (and fill the cache from a replica that predates the
//! write).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use uuid::Uuid;

use crate::redis_pool::RedisPool;

#[derive(Clone)]
pub struct WritePins {
    redis: RedisPool,
    window: Duration,
    /// While Redis cannot take a pin, this process reads everything from the
    /// primary until this instant (Unix milliseconds).
    local_until_ms: Arc<AtomicU64>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl WritePins {
    pub fn new(redis: RedisPool, window: Duration) -> Self {
        Self {
            redis,
            window,
            local_until_ms: Arc::default(),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn key(&self, org: Uuid) -> String {
        self.redis.key(&format!("rw:{}", org.simple()))
    }

    fn window_ms(&self) -> u64 {
        self.window.as_millis().max(1) as u64
    }

    /// Adds "pin `org`" to a pipeline the caller runs (the cache's atomic
    /// invalidation).
    pub fn add_pin(&self, pipe: &mut redis::Pipeline, org: Uuid) {
        pipe.cmd("SET")
            .arg(self.key(org))
            .arg(1)
            .arg("PX")
            .arg(self.window_ms())
            .ignore();
    }

    /// Sends this process's reads to the primary for one window: a pin that
    /// did not reach Redis must still hold where it can.
    pub fn pin_locally(&self) {
        self.local_until_ms
            .fetch_max(now_ms() + self.window_ms(), Ordering::Relaxed);
    }

    /// Pins `org` to the primary for the window.
    pub async fn pin(&self, org: Uuid) {
        let mut pipe = redis::pipe();
        self.add_pin(&mut pipe, org);
        let result: Result<(), _> = self
            .redis
            .run(|mut conn| async move { pipe.query_async(&mut *conn).await })
            .await;
        if result.is_err() {
            self.pin_locally();
        }
    }

    /// The "may read from a replica" decision: false while `org` is pinned,
    /// and false whenever the pin cannot be looked up (Redis down), because
    /// then a replica read could miss a write its author expects to see.
    pub async fn replica_allowed(&self, org: Uuid) -> bool {
        if now_ms() < self.local_until_ms.load(Ordering::Relaxed) {
            return false;
        }
        let key = self.key(org);
        let pinned: Result<bool, _> =
            self.redis
                .run(|mut conn| async move {
                    redis::cmd("EXISTS").arg(key).query_async(&mut *conn).await
                })
                .await;
        matches!(pinned, Ok(false))
    }
}
