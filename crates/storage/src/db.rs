//! The Postgres pool: diesel-async connections on bb8, a primary and any
//! number of streaming read replicas (see `replicas`), with the figures
//! `/health` and `/metrics` report.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolableConnection,
};
use uuid::Uuid;

use crate::replicas::{ReplicaReport, ReplicaSet, spawn_monitor};
use crate::thread_pools::ThreadPools;
use kv::write_pins::WritePins;
use settings::DatabaseConfig;

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

impl PoolStats {
    /// Sets the pool gauges, the same names and labels in every binary so
    /// one dashboard reads the API and the worker alike.
    pub fn record_gauges(&self) {
        metrics::gauge!("db_pool_connections", "state" => "total").set(f64::from(self.total));
        metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(self.idle));
        metrics::gauge!("db_pool_connections", "state" => "active").set(f64::from(self.active));
        metrics::gauge!("db_pool_max_connections").set(f64::from(self.max));
        metrics::gauge!("db_pool_waiting").set(self.waiting as f64);
        metrics::gauge!("db_pool_waited_total").set(self.waited as f64);
        metrics::gauge!("db_pool_timeouts_total").set(self.timeouts as f64);
    }
}

#[derive(Clone)]
pub struct Database {
    primary: Arc<ThreadPools>,
    replicas: Arc<ReplicaSet>,
    pins: Option<WritePins>,
    window: std::time::Duration,
    waiting: Arc<AtomicU64>,
}

/// A pool that connects lazily (see `Database::connect_lazy`).
pub(crate) fn build_pool(url: &str, config: &DatabaseConfig) -> PgPool {
    builder(config).build_unchecked(manager(url))
}

/// Plain connections as diesel-async makes them, or TLS ones when the URL
/// asks (`sslmode=require|verify-ca|verify-full`, see `pg_tls`).
fn manager(url: &str) -> Manager {
    if !crate::pg_tls::wanted(url) {
        return Manager::new(url);
    }
    let mut setup = ManagerConfig::default();
    setup.custom_setup = Box::new(|url| Box::pin(crate::pg_tls::establish(url)));
    Manager::new_with_config(url, setup)
}

/// A replica's pool: a refused connection fails the checkout at once (the
/// read then goes to the primary) instead of retrying until the timeout.
pub(crate) fn build_replica_pool(url: &str, config: &DatabaseConfig) -> PgPool {
    builder(config)
        .retry_connection(false)
        .connection_timeout(config.acquire_timeout().min(REPLICA_ACQUIRE_TIMEOUT))
        .build_unchecked(manager(url))
}

/// A busy replica hands the read to the primary after this long.
const REPLICA_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

fn builder(config: &DatabaseConfig) -> bb8::Builder<Manager> {
    bb8::Pool::builder()
        .max_size(config.max_connections)
        .min_idle(Some(config.min_idle.min(config.max_connections)))
        .connection_timeout(config.acquire_timeout())
        // Broken connections are detected without a round trip
        // (diesel-async checks the socket), so no ping per checkout.
        .test_on_check_out(false)
}

pub(crate) fn pool_stats(pool: &PgPool, max: u32, waiting: &AtomicU64) -> PoolStats {
    pools_stats(std::iter::once(pool), max, waiting)
}

/// The figures of several pools summed, as one pool of `max` connections.
fn pools_stats<'a>(
    pools: impl Iterator<Item = &'a PgPool>,
    max: u32,
    waiting: &AtomicU64,
) -> PoolStats {
    let mut stats = PoolStats {
        total: 0,
        idle: 0,
        active: 0,
        max,
        waiting: waiting.load(Ordering::Relaxed),
        timeouts: 0,
        waited: 0,
    };
    for pool in pools {
        let state = pool.state();
        stats.total += state.connections;
        stats.idle += state.idle_connections;
        stats.active += state.connections.saturating_sub(state.idle_connections);
        stats.timeouts += state.statistics.get_timed_out;
        stats.waited += state.statistics.get_waited;
    }
    stats
}

async fn checkout(pool: &PgPool, waiting: &AtomicU64) -> Result<DbConn, PoolError> {
    waiting.fetch_add(1, Ordering::Relaxed);
    let result = pool.get_owned().await;
    waiting.fetch_sub(1, Ordering::Relaxed);
    result.map_err(|e| match e {
        bb8::RunError::TimedOut => PoolError::Timeout,
        bb8::RunError::User(e) => PoolError::Connect(e.to_string()),
    })
}

impl Database {
    /// Builds the pools without connecting: the process starts even when
    /// Postgres is down, and connections open as soon as it answers. With
    /// replicas, a monitor task measures them on the current runtime.
    pub fn connect_lazy(config: &DatabaseConfig) -> Self {
        Self::connect_lazy_per_thread(config, 1)
    }

    /// As `connect_lazy`, with the primary pool split into `threads` pools
    /// for as many single-threaded runtimes (actix-web's workers), each of
    /// which calls `bind_current_thread` once (see `thread_pools`).
    pub fn connect_lazy_per_thread(config: &DatabaseConfig, threads: usize) -> Self {
        let replicas = Arc::new(ReplicaSet::new(&config.all_replica_urls(), config));
        if !replicas.replicas.is_empty() {
            spawn_monitor(&replicas);
        }
        Self {
            primary: Arc::new(ThreadPools::new(config, threads)),
            replicas,
            pins: None,
            window: config.read_your_writes_window(),
            waiting: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Keeps read-your-writes through Redis (see `write_pins`). Without
    /// this, replicas take no reads at all: nothing would keep an
    /// organization's reads off a replica that has not seen its write yet.
    pub fn with_write_pins(mut self, redis: kv::RedisPool) -> Self {
        self.pins = Some(WritePins::new(redis, self.window));
        self
    }

    /// The pins, for the cache (which sets them as it invalidates) and for
    /// the API (which sets them after every write request).
    pub fn write_pins(&self) -> Option<&WritePins> {
        self.pins.as_ref()
    }

    /// Makes the calling thread check out from its own primary pool (see
    /// `thread_pools`); a no-op with one pool.
    pub fn bind_current_thread(&self) {
        self.primary.bind_current_thread();
    }

    /// A connection to the primary, for writes and read-your-writes.
    pub async fn get(&self) -> Result<DbConn, PoolError> {
        checkout(self.primary.current(), &self.waiting).await
    }

    /// A connection for a read of `org` that may be served by a replica: a
    /// fit replica unless `org` wrote within the read-your-writes window;
    /// otherwise, and whenever no replica is fit, the primary.
    pub async fn read(&self, org: Uuid) -> Result<DbConn, PoolError> {
        if let Some(conn) = self.replica_for(org).await {
            return Ok(conn);
        }
        self.get().await
    }

    async fn replica_for(&self, org: Uuid) -> Option<DbConn> {
        let pins = self.pins.as_ref()?;
        let replica = self.replicas.choose()?;
        if !pins.replica_allowed(org).await {
            return None;
        }
        // A busy replica (checkout timed out) hands this read to the primary.
        let mut conn = match checkout(&replica.pool, &replica.waiting).await {
            Ok(conn) => conn,
            Err(PoolError::Timeout) => return None,
            Err(PoolError::Connect(_)) => {
                replica.mark_unreachable();
                return None;
            }
        };
        // A replica that went down since the last check: its idle
        // connections are closed. Skip it now instead of failing the read.
        if conn.is_broken() {
            replica.mark_unreachable();
            return None;
        }
        replica.count_read();
        Some(conn)
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
        pools_stats(
            self.primary.built(),
            self.primary.max_connections(),
            &self.waiting,
        )
    }

    /// One report per configured replica, in configuration order.
    pub fn replicas(&self) -> Vec<ReplicaReport> {
        self.replicas.reports()
    }

    /// Measures every replica now (the monitor does so every period).
    pub async fn check_replicas(&self) {
        self.replicas.check_all().await;
    }
}
