//! A claimed row's lease while its job runs: renewed every third of the
//! lease, so a long job keeps its row while a crashed worker's row is free
//! again within one lease (30 s by default). Also what a job does when the
//! claim refused its row, and the attempt limit at claim time.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use jobs::Queue;
use storage::Database;
use storage::models::leases::{self, LeasedTable};
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

use crate::app::App;
use crate::outcome::JobError;

/// Renews one row's lease until dropped.
pub struct LeaseKeeper {
    held: Arc<Mutex<DateTime<Utc>>>,
    renewal: tokio::task::JoinHandle<()>,
}

impl LeaseKeeper {
    /// Starts renewing `id`'s lease, claimed until `held`.
    pub fn start(app: &App, table: LeasedTable, id: Uuid, held: DateTime<Utc>) -> Self {
        let held = Arc::new(Mutex::new(held));
        let lease = app.config.lease();
        let renewal = tokio::spawn(renew(app.db.clone(), table, id, held.clone(), lease));
        Self { held, renewal }
    }

    /// The lease as it stands, locked: the final write holds this guard so
    /// that no renewal moves the lease under it.
    pub async fn hold(&self) -> MutexGuard<'_, DateTime<Utc>> {
        self.held.lock().await
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}

async fn renew(
    db: Database,
    table: LeasedTable,
    id: Uuid,
    held: Arc<Mutex<DateTime<Utc>>>,
    lease: Duration,
) {
    let every = (lease / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        let mut current = held.lock().await;
        let until = crate::handlers::after(lease);
        let renewed = match db.get().await {
            Ok(mut conn) => leases::renew(&mut conn, table, id, *current, until).await,
            Err(error) => {
                tracing::warn!(row.id = %id, error = %error, "lease not renewed: database unavailable");
                continue;
            }
        };
        match renewed {
            Ok(true) => *current = until,
            Ok(false) => {
                tracing::warn!(row.id = %id, "lease lost; the result will be discarded");
                return;
            }
            Err(error) => {
                tracing::warn!(row.id = %id, error = %error, "lease not renewed");
            }
        }
    }
}

/// The answer for a job whose claim was refused: if another worker's
/// lease holds the row (maybe a worker that died), look again when it
/// ends, without spending an attempt; otherwise nothing to do.
pub async fn refused(
    app: &App,
    table: LeasedTable,
    id: Uuid,
) -> Result<serde_json::Value, JobError> {
    let mut conn = app.db.get().await?;
    match leases::held_until(&mut conn, table, id, Utc::now()).await? {
        Some(until) => Err(JobError::Deferred {
            until: SystemTime::from(until) + Duration::from_secs(1),
        }),
        None => Ok(serde_json::json!({"skipped": "not claimable"})),
    }
}

/// After a claim: `Some(message)` when the row has used up its attempts (a
/// claim counts one even when the worker dies during it, so a row that
/// crashes its worker fails after N tries instead of crash-looping).
pub fn exhausted(app: &App, queue: Queue, attempts: i32) -> Option<String> {
    let max = app.config.policy_of(queue).max_attempts;
    (attempts as u32 > max).then(|| {
        format!(
            "attempts_exhausted: {} attempts started and none finished (the worker stopped during each); giving up",
            max
        )
    })
}
