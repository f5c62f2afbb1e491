//! The Redis pool (bb8) with a short checkout timeout, so a Redis that
//! is down or slow costs a request milliseconds, not seconds.

use std::sync::atomic::{AtomicU64, Ordering};

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{AsyncCommands, Cmd, Pipeline, RedisFuture, Value};

use crate::redis_target::{RedisTarget, needs_new_connection};
use settings::RedisConfig;

pub type RedisConn = bb8::PooledConnection<'static, Manager>;

/// Opens multiplexed connections to the current primary (`RedisTarget`),
/// and reports a connection broken once its socket failed or its server was
/// demoted, so the pool replaces it (through Sentinel: with the new primary).
/// bb8-redis' own manager never reports one broken, and a multiplexed
/// connection to a Redis that restarted fails forever.
pub struct Manager(RedisTarget);

/// A pooled multiplexed connection that remembers a transport failure.
pub struct ManagedConnection {
    inner: MultiplexedConnection,
    broken: bool,
}

impl ManagedConnection {
    fn note<T>(&mut self, result: redis::RedisResult<T>) -> redis::RedisResult<T> {
        if let Err(e) = &result
            && needs_new_connection(e)
        {
            self.broken = true;
        }
        result
    }
}

impl ConnectionLike for ManagedConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let result = self.inner.req_packed_command(cmd).await;
            self.note(result)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let result = self
                .inner
                .req_packed_commands(pipeline, offset, count)
                .await;
            self.note(result)
        })
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

impl bb8::ManageConnection for Manager {
    type Connection = ManagedConnection;
    type Error = redis::RedisError;

    async fn connect(&self) -> Result<Self::Connection, Self::Error> {
        Ok(ManagedConnection {
            inner: self.0.connect().await?,
            broken: false,
        })
    }

    async fn is_valid(&self, conn: &mut Self::Connection) -> Result<(), Self::Error> {
        redis::cmd("PING").query_async::<()>(conn).await
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        conn.broken
    }
}

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
    pool: bb8::Pool<Manager>,
    target: RedisTarget,
    prefix: String,
    timeout: std::time::Duration,
    breaker: std::sync::Arc<Breaker>,
}

/// How long Redis is left alone after it failed: callers get an immediate
/// `Unavailable` instead of each waiting for a timeout.
const COOL_DOWN_MS: u64 = 2_000;
/// At most one log line about Redis trouble per interval.
const LOG_INTERVAL_MS: u64 = 30_000;

/// A small circuit breaker: trips on a transport failure or timeout, closes
/// again after the cool-down when the next call succeeds.
#[derive(Default)]
struct Breaker {
    open_until_ms: AtomicU64,
    last_logged_ms: AtomicU64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Breaker {
    fn is_open(&self) -> bool {
        now_ms() < self.open_until_ms.load(Ordering::Relaxed)
    }

    fn trip(&self, error: &RedisError) {
        let now = now_ms();
        self.open_until_ms
            .store(now + COOL_DOWN_MS, Ordering::Relaxed);
        let last = self.last_logged_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= LOG_INTERVAL_MS
            && self
                .last_logged_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(error = %error, "redis unavailable: serving without cache, limits fail open");
        }
        metrics::counter!("redis_errors_total").increment(1);
    }
}

impl RedisPool {
    pub fn connect_lazy(config: &RedisConfig) -> Result<Self, RedisError> {
        let target =
            RedisTarget::from_config(config).map_err(|e| RedisError::Unavailable(e.to_string()))?;
        let manager = Manager(target.clone());
        let pool = bb8::Pool::builder()
            .max_size(config.max_connections)
            .min_idle(Some(1))
            .connection_timeout(config.timeout())
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Self {
            pool,
            target,
            prefix: config.prefix.clone(),
            timeout: config.timeout(),
            breaker: Default::default(),
        })
    }

    /// Where connections go: for pub/sub and the queues' own connection,
    /// which must follow a failover like the pool does.
    pub fn target(&self) -> &RedisTarget {
        &self.target
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

    /// False while the breaker is open after a Redis failure.
    pub fn available(&self) -> bool {
        !self.breaker.is_open()
    }

    /// Runs `f` on a pooled connection within the configured timeout. While
    /// Redis is known to be down this fails at once, without a round trip.
    pub async fn run<T, F, Fut>(&self, f: F) -> Result<T, RedisError>
    where
        F: FnOnce(RedisConn) -> Fut,
        Fut: std::future::Future<Output = Result<T, redis::RedisError>>,
    {
        if self.breaker.is_open() {
            return Err(RedisError::Unavailable(
                "cooling down after a failure".into(),
            ));
        }
        let result = match self.get().await {
            Ok(conn) => match tokio::time::timeout(self.timeout, f(conn)).await {
                Ok(result) => result.map_err(RedisError::from),
                Err(_) => Err(RedisError::Timeout),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = &result {
            let transport = match e {
                RedisError::Command(inner) => {
                    inner.is_io_error() || inner.is_connection_dropped() || inner.is_timeout()
                }
                RedisError::Unavailable(_) | RedisError::Timeout => true,
            };
            if transport {
                self.breaker.trip(e);
            }
        }
        result
    }

    pub async fn ping(&self) -> bool {
        self.run(|mut c| async move { c.ping::<String>().await })
            .await
            .is_ok()
    }

    pub fn stats(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }
}
