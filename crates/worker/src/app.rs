//! The state every handler shares: pools, the enqueue handle, the outbound
//! clients and the settings, built once per process.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crypto::EncryptionKey;
use jobs::backend::{Doorbell, Plans};
use jobs::{Queue, Queues};
use kv::RedisPool;
use kv::cache::Cache;
use kv::events::EventBus;
use kv::redis_follow::FollowingConnection;
use object_store::ObjectStore;
use storage::Database;

use crate::config::Config;
use crate::mail::Mailer;

/// Per queue, the doorbell of this process' worker of it.
pub type Doorbells = Arc<HashMap<Queue, Arc<Doorbell>>>;

pub struct App {
    pub config: Config,
    /// Unique name of this process (`{base}-{pid}-{random}`).
    pub name: String,
    pub db: Database,
    pub redis: RedisPool,
    /// The API's cache: every write here drops the answers it changes.
    pub cache: Cache,
    /// Live events for WebSocket clients of every API instance.
    pub events: EventBus,
    pub queues: Queues,
    /// The connection of the queue backends and the scheduler, made on
    /// first use (see `job_conn`), so the worker starts and answers
    /// `/health` while Redis is still down.
    pub job_conn: tokio::sync::OnceCell<FollowingConnection>,
    /// Handlers' retry decisions on their way to the backend.
    pub plans: Plans,
    pub key: EncryptionKey,
    pub http: reqwest::Client,
    pub mailer: Mailer,
    pub files: Arc<dyn ObjectStore>,
    pub doorbells: Doorbells,
    pub draining: AtomicBool,
}

impl App {
    /// Wakes this process' idle worker of `queue`.
    pub fn wake(&self, queue: Queue) {
        if let Some(bell) = self.doorbells.get(&queue) {
            bell.ring();
        }
    }

    /// The job connection, waiting for Redis (with backoff) the first time.
    pub async fn job_conn(&self) -> FollowingConnection {
        self.job_conn
            .get_or_init(|| connect_redis(&self.config))
            .await
            .clone()
    }
}

/// Connects to Redis (following Sentinel when configured), retrying until
/// it answers: the worker may start before Redis does.
async fn connect_redis(config: &Config) -> FollowingConnection {
    let mut delay = Duration::from_millis(200);
    loop {
        let connected = match kv::redis_target::RedisTarget::from_config(&config.redis) {
            Ok(target) => FollowingConnection::connect(target).await,
            Err(error) => Err(error),
        };
        match connected {
            Ok(conn) => return conn,
            Err(error) => {
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "redis unreachable; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
