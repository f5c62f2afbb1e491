//! Streaming read replicas: one pool each, a monitor that measures each
//! replica's reachability and replay lag, and the choice of the least busy
//! fit replica for a read (none fit: the caller reads from the primary).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::sql_types::{BigInt, Nullable};
use secrecy::{ExposeSecret, SecretString};

use crate::db::{PgPool, PoolStats, build_replica_pool, pool_stats};

/// What the monitor last saw of a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplicaState {
    /// Not measured yet (the process just started).
    Unknown,
    /// Reachable and within the lag bound: it takes reads.
    Ok,
    /// Reachable, but replay is further behind than the bound.
    Lagging,
    Unreachable,
}

impl ReplicaState {
    fn code(self) -> u64 {
        match self {
            Self::Unknown => 0,
            Self::Ok => 1,
            Self::Lagging => 2,
            Self::Unreachable => 3,
        }
    }

    fn from_code(code: u64) -> Self {
        match code {
            1 => Self::Ok,
            2 => Self::Lagging,
            3 => Self::Unreachable,
            _ => Self::Unknown,
        }
    }
}

/// One replica's figures for `/health` and `/metrics`; never a password.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReplicaReport {
    /// `host:port/database` of the replica.
    pub name: String,
    pub state: ReplicaState,
    /// Replay lag in milliseconds at the last check (`None` before one).
    pub lag_ms: Option<u64>,
    /// Reads this process sent to the replica.
    pub reads: u64,
    pub pool: PoolStats,
}

pub(crate) struct Replica {
    pub(crate) name: String,
    pub(crate) pool: PgPool,
    pub(crate) waiting: Arc<AtomicU64>,
    state: AtomicU64,
    lag_ms: AtomicU64,
    checked_ms: AtomicU64,
    measured: AtomicBool,
    reads: AtomicU64,
}

pub(crate) struct ReplicaSet {
    pub(crate) replicas: Vec<Replica>,
    next: AtomicUsize,
    max_lag_ms: u64,
    check: Duration,
    max: u32,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `host:port/database` of a URL, for reports and log lines.
fn display_name(url: &SecretString) -> String {
    match url::Url::parse(url.expose_secret()) {
        Ok(parsed) => format!(
            "{}:{}{}",
            parsed.host_str().unwrap_or("?"),
            parsed.port().unwrap_or(5432),
            parsed.path()
        ),
        Err(_) => "<unparsable url>".into(),
    }
}

#[derive(diesel::QueryableByName)]
struct Lag {
    /// Null when the server is not in recovery (a promoted replica).
    #[diesel(sql_type = Nullable<BigInt>)]
    lag_ms: Option<i64>,
}

/// Replay lag: zero when everything received is replayed (an idle primary
/// sends nothing, so the last replay timestamp would age without any real
/// lag), else the age of the last replayed commit.
const LAG_SQL: &str = "SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL \
     WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0 \
     ELSE (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::int8 END AS lag_ms";

impl Replica {
    fn state(&self) -> ReplicaState {
        ReplicaState::from_code(self.state.load(Ordering::Relaxed))
    }

    fn set(&self, state: ReplicaState, lag_ms: Option<u64>) {
        self.state.store(state.code(), Ordering::Relaxed);
        if let Some(lag) = lag_ms {
            self.lag_ms.store(lag, Ordering::Relaxed);
            self.measured.store(true, Ordering::Relaxed);
        }
        self.checked_ms.store(now_ms(), Ordering::Relaxed);
    }

    /// Marks the replica unreachable at once (a checkout found it down), so
    /// reads skip it until the monitor sees it answer again.
    pub(crate) fn mark_unreachable(&self) {
        self.set(ReplicaState::Unreachable, None);
    }

    pub(crate) fn count_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("db_replica_reads_total", "replica" => self.name.clone()).increment(1);
    }

    /// Connections in use plus callers waiting: the load a read would join.
    fn busy(&self) -> u64 {
        let state = self.pool.state();
        u64::from(state.connections.saturating_sub(state.idle_connections))
            + self.waiting.load(Ordering::Relaxed)
    }

    async fn measure(&self, timeout: Duration) -> Result<Option<u64>, String> {
        use diesel_async::RunQueryDsl;
        let query = async {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            diesel::sql_query(LAG_SQL)
                .get_result::<Lag>(&mut *conn)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(timeout, query).await {
            Ok(Ok(lag)) => Ok(lag.lag_ms.map(|ms| u64::try_from(ms).unwrap_or(0))),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("lag check timed out".into()),
        }
    }

    async fn check(&self, max_lag_ms: u64, timeout: Duration) {
        let before = self.state();
        let after = match self.measure(timeout).await {
            Ok(Some(lag)) if lag <= max_lag_ms => (ReplicaState::Ok, Some(lag)),
            Ok(Some(lag)) => (ReplicaState::Lagging, Some(lag)),
            // A server out of recovery was promoted: it no longer follows
            // the primary, so its answers may diverge. Never read from it.
            Ok(None) => (ReplicaState::Lagging, None),
            Err(_) => (ReplicaState::Unreachable, None),
        };
        self.set(after.0, after.1);
        if before != after.0 {
            tracing::info!(replica = %self.name, from = ?before, to = ?after.0, lag.ms = ?after.1, "replica state changed");
        }
        metrics::gauge!("db_replica_lag_ms", "replica" => self.name.clone())
            .set(self.lag_ms.load(Ordering::Relaxed) as f64);
        metrics::gauge!("db_replica_up", "replica" => self.name.clone()).set(
            if after.0 == ReplicaState::Ok {
                1.0
            } else {
                0.0
            },
        );
    }
}

impl ReplicaSet {
    pub(crate) fn new(urls: &[SecretString], config: &settings::DatabaseConfig) -> Self {
        let replicas = urls
            .iter()
            .map(|url| Replica {
                name: display_name(url),
                pool: build_replica_pool(url.expose_secret(), config),
                waiting: Arc::new(AtomicU64::new(0)),
                state: AtomicU64::new(ReplicaState::Unknown.code()),
                lag_ms: AtomicU64::new(0),
                checked_ms: AtomicU64::new(0),
                measured: AtomicBool::new(false),
                reads: AtomicU64::new(0),
            })
            .collect();
        Self {
            replicas,
            next: AtomicUsize::new(0),
            max_lag_ms: config.replica_max_lag_ms,
            check: Duration::from_millis(config.replica_check_ms),
            max: config.max_connections,
        }
    }

    /// A replica may take a read when its last check found it within the
    /// bound and that check is recent: a stalled monitor must not keep a
    /// replica in use whose lag nobody measures any more.
    fn fit(&self, replica: &Replica) -> bool {
        // A check takes at most one period (its timeout) and the next starts
        // at most one period later: older than three periods means stalled.
        let fresh = now_ms().saturating_sub(replica.checked_ms.load(Ordering::Relaxed))
            <= 3 * self.check.as_millis() as u64;
        replica.state() == ReplicaState::Ok && fresh
    }

    /// The least busy fit replica; ties go round-robin so an idle set still
    /// spreads reads over every replica.
    pub(crate) fn choose(&self) -> Option<&Replica> {
        let count = self.replicas.len();
        if count == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(|i| &self.replicas[(start + i) % count])
            .filter(|r| self.fit(r))
            .min_by_key(|r| r.busy())
    }

    /// Measures every replica once, concurrently.
    pub(crate) async fn check_all(&self) {
        let timeout = self.check;
        futures::future::join_all(
            self.replicas
                .iter()
                .map(|r| r.check(self.max_lag_ms, timeout)),
        )
        .await;
    }

    pub(crate) fn reports(&self) -> Vec<ReplicaReport> {
        self.replicas
            .iter()
            .map(|r| ReplicaReport {
                name: r.name.clone(),
                state: r.state(),
                lag_ms: r
                    .measured
                    .load(Ordering::Relaxed)
                    .then(|| r.lag_ms.load(Ordering::Relaxed)),
                reads: r.reads.load(Ordering::Relaxed),
                pool: pool_stats(&r.pool, self.max, &r.waiting),
            })
            .collect()
    }
}

/// Checks the replicas every period while the set is alive (the task holds
/// a weak reference, so dropping the last `Database` stops it).
pub(crate) fn spawn_monitor(set: &Arc<ReplicaSet>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no async runtime: replica lag is not monitored, reads use the primary");
        return;
    };
    let weak: Weak<ReplicaSet> = Arc::downgrade(set);
    let period = set.check;
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(set) = weak.upgrade() else { return };
            set.check_all().await;
        }
    });
}
