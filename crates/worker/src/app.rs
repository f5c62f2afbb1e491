//! The state every handler shares: pools, the enqueue handle, the outbound
//! clients and the settings, built once per process.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use jobs::{Queue, Queues};
use object_store::ObjectStore;
use storage::cache::Cache;
use storage::crypto::EncryptionKey;
use storage::events::EventBus;
use storage::{Database, RedisPool};

use crate::config::Config;
use crate::mail::Mailer;

/// Per queue, the sender that wakes this process' idle worker of it.
pub type Wakers = Arc<RwLock<HashMap<Queue, tokio::sync::mpsc::Sender<()>>>>;

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
    /// The connection apalis workers and retry fix-ups use.
    pub apalis_conn: storage::redis_follow::FollowingConnection,
    pub key: EncryptionKey,
    pub http: reqwest::Client,
    pub mailer: Mailer,
    pub files: Arc<dyn ObjectStore>,
    pub wakers: Wakers,
    pub draining: AtomicBool,
}

impl App {
    /// Wakes this process' idle worker of `queue` (a retry came due).
    pub fn wake(&self, queue: Queue) {
        if let Ok(map) = self.wakers.read()
            && let Some(tx) = map.get(&queue)
        {
            let _ = tx.try_send(());
        }
    }
}
