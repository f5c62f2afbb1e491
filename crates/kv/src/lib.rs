//! Shared state in Redis, used by the API and the worker: the connection pool
//! (direct or through Sentinel), the cache with its in-process first level, the
//! rate limiter, the live-event bus for WebSockets and the read-your-writes
//! pins the Postgres replica router consults.
//!
//! Nothing here knows a Postgres type: `storage` depends on this crate (for the
//! write pins), never the other way round.

pub mod cache;
pub mod events;
pub mod rate_limit;
pub mod redis_follow;
pub mod redis_pool;
pub mod redis_target;
pub mod redis_tls;
pub mod write_pins;

#[cfg(feature = "test-support")]
pub mod test_support;

pub use redis_pool::RedisPool;
