//! Storage shared by the API and the worker: configuration, the Postgres pool
//! (diesel-async on bb8), migrations, the Redis pool, secrets and one module
//! per table holding its model and queries.

pub mod cache;
pub mod config;
pub mod crypto;
pub mod db;
pub mod events;
pub mod file_store;
pub mod key_rotation;
pub mod migrations;
pub mod models;
pub mod pagination;
pub mod pg_tls;
pub mod rate_limit;
pub mod raw_json;
pub mod redis_follow;
pub mod redis_pool;
pub mod redis_target;
pub mod redis_tls;
pub mod replicas;
pub mod schema;
pub mod sealed_link;
pub mod telemetry;
mod thread_pools;

pub mod write_pins;

#[cfg(feature = "test-support")]
pub mod test_cli;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use db::{Database, DbConn, PoolStats};
pub use redis_pool::RedisPool;
