//! The Redis pool (bb8-redis) with a short checkout timeout, so a Redis that
//! is down or slow costs a request milliseconds, not seconds.

use bb8_redis::RedisConnectionManager;
use redis::AsyncCommands;
use secrecy::ExposeSecret;

use crate::config::RedisConfig;

pub type RedisConn = bb8::PooledConnection<'static, RedisConnectionManager>;

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("redis command failed: {0}")]
    Command(#[from] redis::RedisError),
    #[error("redis call timed out")]
    Timeout,
}

#[derive(Clone)]
pub struct RedisPool {
    pool: bb8::Pool<RedisConnectionManager>,
    prefix: String,
    timeout: std::time::Duration,
}

impl RedisPool {
    pub fn connect_lazy(config: &RedisConfig) -> Result<Self, RedisError> {
        let manager = RedisConnectionManager::new(config.url.expose_secret())
            .map_err(|e| RedisError::Unavailable(e.to_string()))?;
        let pool = bb8::Pool::builder()
            .max_size(config.max_connections)
            .min_idle(Some(1))
            .connection_timeout(config.timeout())
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Self { pool, prefix: config.prefix.clone(), timeout: config.timeout() })
    }

    /// The prefix every key of this deployment starts with (`esx` by default).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `"{prefix}:{rest}"`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }

    pub async fn get(&self) -> Result<RedisConn, RedisError> {
        self.pool.get_owned().await.map_err(|e| match e {
            bb8::RunError::TimedOut => RedisError::Timeout,
            bb8::RunError::User(e) => RedisError::Unavailable(e.to_string()),
        })
    }

    /// Runs `f` on a pooled connection within the configured timeout.
    pub async fn run<T, F, Fut>(&self, f: F) -> Result<T, RedisError>
    where
        F: FnOnce(RedisConn) -> Fut,
        Fut: std::future::Future<Output = Result<T, redis::RedisError>>,
    {
        let conn = self.get().await?;
        match tokio::time::timeout(self.timeout, f(conn)).await {
            Ok(result) => result.map_err(RedisError::from),
            Err(_) => Err(RedisError::Timeout),
        }
    }

    pub async fn ping(&self) -> bool {
        self.run(|mut c| async move { c.ping::<String>().await }).await.is_ok()
    }

    pub fn stats(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }
}
