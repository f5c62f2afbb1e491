//! The Postgres pool: diesel-async connections on bb8, a primary and an
//! optional read replica, with the figures `/health` and `/metrics` report.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use secrecy::ExposeSecret;

use crate::config::DatabaseConfig;

type Manager = AsyncDieselConnectionManager<AsyncPgConnection>;
pub type PgPool = bb8::Pool<Manager>;
/// A pooled connection, returned to the pool on drop.
pub type DbConn = bb8::PooledConnection<'static, Manager>;

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("timed out waiting for a database connection")]
    Timeout,
    #[error("database unreachable: {0}")]
    Connect(String),
}

/// Pool figures at one instant.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct PoolStats {
    pub total: u32,
    pub idle: u32,
    pub active: u32,
    pub max: u32,
    pub waiting: u64,
    pub timeouts: u64,
    pub waited: u64,
}

#[derive(Clone)]
pub struct Database {
    primary: PgPool,
    replica: Option<PgPool>,
    max: u32,
    waiting: Arc<AtomicU64>,
}

impl Database {
    /// Builds the pools without connecting: the process starts even when
    /// Postgres is down, and connections open as soon as it answers.
    pub fn connect_lazy(config: &DatabaseConfig) -> Self {
        let build = |url: &str| {
            bb8::Pool::builder()
                .max_size(config.max_connections)
                .min_idle(Some(config.min_idle.min(config.max_connections)))
                .connection_timeout(config.acquire_timeout())
                // Broken connections are detected without a round trip
                // (diesel-async checks the socket), so no ping per checkout.
                .test_on_check_out(false)
                .build_unchecked(Manager::new(url))
        };
        Self {
            primary: build(config.url.expose_secret()),
            replica: config
                .replica_url
                .as_ref()
                .map(|url| build(url.expose_secret())),
            max: config.max_connections,
            waiting: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A connection to the primary, for writes and read-your-writes.
    pub async fn get(&self) -> Result<DbConn, PoolError> {
        self.checkout(&self.primary).await
    }

    /// A connection for reads that tolerate replica lag; the primary when no
    /// replica is configured.
    pub async fn read(&self) -> Result<DbConn, PoolError> {
        self.checkout(self.replica.as_ref().unwrap_or(&self.primary))
            .await
    }

    async fn checkout(&self, pool: &PgPool) -> Result<DbConn, PoolError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let result = pool.get_owned().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        result.map_err(|e| match e {
            bb8::RunError::TimedOut => PoolError::Timeout,
            bb8::RunError::User(e) => PoolError::Connect(e.to_string()),
        })
    }

    /// True when the primary answers a query.
    pub async fn ping(&self) -> bool {
        use diesel_async::RunQueryDsl;
        let Ok(mut conn) = self.get().await else {
            return false;
        };
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .is_ok()
    }

    pub fn stats(&self) -> PoolStats {
        let state = self.primary.state();
        PoolStats {
            total: state.connections,
            idle: state.idle_connections,
            active: state.connections.saturating_sub(state.idle_connections),
            max: self.max,
            waiting: self.waiting.load(Ordering::Relaxed),
            timeouts: state.statistics.get_timed_out,
            waited: state.statistics.get_waited,
        }
    }
}
