//! Shared application state handed to every handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crypto::EncryptionKey;
use kv::RedisPool;
use kv::cache::Cache;
use kv::events::EventBus;
use storage::Database;

use crate::config::ServerConfig;
use storage::file_store::FileStore;

/// How a handler takes the state: actix's shared app data.
pub type State = actix_web::web::Data<AppState>;

#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub redis: RedisPool,
    pub cache: Cache,
    /// Per-token request budgets, leased from Redis in batches.
    pub budget: kv::rate_limit::Leases,
    /// Live events to WebSocket clients of any instance (Redis pub/sub).
    pub events: EventBus,
    /// Enqueues background jobs (documents, mails, webhook deliveries).
    pub jobs: jobs::Queues,
    /// Uploaded documents, read back by the worker.
    pub files: FileStore,
    pub encryption: EncryptionKey,
    pub config: Arc<ServerConfig>,
    pub lifecycle: Arc<Lifecycle>,
}

/// Process lifecycle facts that readiness reports.
pub struct Lifecycle {
    pub started: Instant,
    draining: AtomicBool,
    migrations_pending: AtomicBool,
    database_url: secrecy::SecretString,
}

impl Lifecycle {
    pub fn new(database_url: secrecy::SecretString) -> Self {
        Self {
            started: Instant::now(),
            draining: AtomicBool::new(false),
            migrations_pending: AtomicBool::new(true),
            database_url,
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Whether a migration of this binary is missing from the database. Once
    /// the schema is current it stays current for this binary's lifetime, so
    /// the check only touches Postgres until it first succeeds.
    pub async fn migrations_pending(&self) -> bool {
        if !self.migrations_pending.load(Ordering::SeqCst) {
            return false;
        }
        use secrecy::ExposeSecret;
        match storage::migrations::has_pending(self.database_url.expose_secret()).await {
            Ok(pending) => {
                self.migrations_pending.store(pending, Ordering::SeqCst);
                pending
            }
            Err(_) => true,
        }
    }
}
