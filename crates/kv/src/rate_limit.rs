//! Fixed-window rate limits shared by every instance through Redis, keyed
//! `{prefix}:ratelimit:{scope}:{id}`. A limiter that cannot reach Redis
//! answers `Outcome::Unavailable`, which allows the request: an outage of
//! the cache must not lock every user out. Budgets checked on every request
//! lease events in batches (`lease.rs`) instead of counting each in Redis.

use std::time::Duration;

use crate::redis_pool::RedisPool;

pub mod lease;
pub use lease::Leases;

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }

    fn window_secs(&self) -> u64 {
        self.window.as_secs().max(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit; `count` events so far in this window.
    Allowed { count: u64, remaining: u64 },
    /// Over the limit until the window ends.
    Limited { count: u64, retry_after: Duration },
    /// Redis did not answer in time: allowed, and the caller may say so.
    Unavailable,
}

impl Outcome {
    pub fn is_limited(&self) -> bool {
        matches!(self, Self::Limited { .. })
    }

    /// Whole seconds until the window ends, at least 1, for `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Limited { retry_after, .. } => {
                Some(retry_after.as_millis().div_ceil(1000).max(1) as u64)
            }
            _ => None,
        }
    }

    fn from_count(count: u64, ttl_ms: i64, limit: Limit) -> Self {
        if count > u64::from(limit.max) {
            // A missing TTL (-1/-2) cannot normally happen; assume a full window.
            let ms = if ttl_ms > 0 {
                ttl_ms as u64
            } else {
                limit.window_secs() * 1000
            };
            Self::Limited {
                count,
                retry_after: Duration::from_millis(ms),
            }
        } else {
            Self::Allowed {
                count,
                remaining: u64::from(limit.max) - count,
            }
        }
    }
}

fn key(redis: &RedisPool, scope: &str, id: &str) -> String {
    redis.key(&format!("ratelimit:{scope}:{id}"))
}

/// Counts one event and tells whether it went over the limit. INCR and
/// EXPIRE run in one MULTI, the EXPIRE with NX so the window starts at the
/// first event and later events do not extend it.
pub async fn hit(redis: &RedisPool, scope: &str, id: &str, limit: Limit) -> Outcome {
    let key = key(redis, scope, id);
    let secs = limit.window_secs();
    let result = redis
        .run(|mut conn| async move {
            redis::pipe()
                .atomic()
                .incr(&key, 1u64)
                .cmd("EXPIRE")
                .arg(&key)
                .arg(secs)
                .arg("NX")
                .ignore()
                .pttl(&key)
                .query_async::<(u64, i64)>(&mut *conn)
                .await
        })
        .await;
    match result {
        Ok((count, ttl)) => Outcome::from_count(count, ttl, limit),
        Err(e) => unavailable(scope, &e),
    }
}

/// Whether the next event would be refused, without counting one: for
/// limits that count only failures (logins), checked before the attempt.
pub async fn peek(redis: &RedisPool, scope: &str, id: &str, limit: Limit) -> Outcome {
    let key = key(redis, scope, id);
    let result = redis
        .run(|mut conn| async move {
            redis::pipe()
                .get(&key)
                .pttl(&key)
                .query_async::<(Option<u64>, i64)>(&mut *conn)
                .await
        })
        .await;
    match result {
        // The next event would make it count + 1.
        Ok((count, ttl)) => match Outcome::from_count(count.unwrap_or(0) + 1, ttl, limit) {
            Outcome::Allowed { .. } => {
                let count = count.unwrap_or(0);
                Outcome::Allowed {
                    count,
                    remaining: u64::from(limit.max).saturating_sub(count),
                }
            }
            limited => limited,
        },
        Err(e) => unavailable(scope, &e),
    }
}

/// Takes back one event counted by `hit` (a reservation that turned out
/// not to count: the attempt succeeded, or another limit refused it). Never
/// goes below zero and never creates a key, so a window that ended meanwhile
/// stays ended.
pub async fn release(redis: &RedisPool, scope: &str, id: &str) -> bool {
    const SCRIPT: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
";
    let key = key(redis, scope, id);
    redis
        .run(|mut conn| async move {
            redis::Script::new(SCRIPT)
                .key(&key)
                .invoke_async::<i64>(&mut *conn)
                .await
        })
        .await
        .is_ok()
}

/// Forgets the events of one id (a successful login clears its failures).
pub async fn reset(redis: &RedisPool, scope: &str, id: &str) -> bool {
    let key = key(redis, scope, id);
    redis
        .run(|mut conn| async move {
            redis::cmd("DEL")
                .arg(&key)
                .query_async::<u64>(&mut *conn)
                .await
        })
        .await
        .is_ok()
}

fn unavailable(scope: &str, error: &crate::redis_pool::RedisError) -> Outcome {
    // The pool logs Redis outages once per interval; one line per request
    // would flood the log exactly when operators read it.
    tracing::debug!(ratelimit.scope = scope, error = %error, "rate limiter unavailable, allowing");
    Outcome::Unavailable
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::test_support::TestRedis;
    use settings::RedisConfig;

    #[tokio::test]
    async fn counts_within_a_window_and_refuses_past_the_limit() {
        let test = TestRedis::new();
        let redis = RedisPool::connect_lazy(&test.config()).unwrap();
        let limit = Limit::new(2, Duration::from_secs(60));
        assert!(matches!(
            peek(&redis, "t", "a", limit).await,
            Outcome::Allowed {
                count: 0,
                remaining: 2
            }
        ));
        assert!(matches!(
            hit(&redis, "t", "a", limit).await,
            Outcome::Allowed {
                count: 1,
                remaining: 1
            }
        ));
        assert!(matches!(
            hit(&redis, "t", "a", limit).await,
            Outcome::Allowed {
                count: 2,
                remaining: 0
            }
        ));
        let peeked = peek(&redis, "t", "a", limit).await;
        assert!(peeked.is_limited());
        let secs = peeked.retry_after_secs().unwrap();
        assert!((1..=60).contains(&secs));
        assert!(hit(&redis, "t", "a", limit).await.is_limited());
        // Other ids and scopes are counted apart.
        assert!(!hit(&redis, "t", "b", limit).await.is_limited());
        assert!(!hit(&redis, "u", "a", limit).await.is_limited());
        // A released reservation no longer counts; release never goes negative.
        assert!(release(&redis, "t", "b").await);
        assert!(release(&redis, "t", "b").await);
        assert!(matches!(
            hit(&redis, "t", "b", limit).await,
            Outcome::Allowed { count: 1, .. }
        ));
        assert!(reset(&redis, "t", "a").await);
        assert!(!peek(&redis, "t", "a", limit).await.is_limited());
    }

    #[tokio::test]
    async fn fails_open_when_redis_is_unreachable() {
        let redis =
            RedisPool::connect_lazy(&RedisConfig::new("redis://127.0.0.1:1", "down")).unwrap();
        let limit = Limit::new(0, Duration::from_secs(60));
        assert_eq!(hit(&redis, "t", "a", limit).await, Outcome::Unavailable);
        assert_eq!(peek(&redis, "t", "a", limit).await, Outcome::Unavailable);
    }
}
