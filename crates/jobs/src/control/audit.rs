//! The operator audit trail: every console action appends who, when and
//! what to a capped Redis stream (operators belong to no organization, so
//! the tenants' `audit_logs` table has no place for them); the same entry is
//! logged under the `audit` target for log retention beyond the cap.

use serde::{Deserialize, Serialize};

use super::keys::ConsoleKeys;
use crate::{JobsError, Queues};

/// Entries kept in the stream (the oldest go first).
pub const AUDIT_CAP: usize = 10_000;

/// One operator action.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: u64,
    /// The console session that acted (its public id, never the cookie).
    pub actor: String,
    pub ip: Option<String>,
    /// `queue.pause`, `job.retry`, ...
    pub action: String,
    pub queue: Option<String>,
    /// Job id, row id, or how many jobs.
    pub target: Option<String>,
    /// What the action found or did (`retried`, `not_found`, ...).
    pub outcome: String,
}

impl Queues {
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), JobsError> {
        let key = ConsoleKeys::new(self.redis().prefix()).audit();
        let json = serde_json::to_string(entry)?;
        tracing::info!(target: "audit", actor = %entry.actor, action = %entry.action,
            queue = entry.queue.as_deref(), target_id = entry.target.as_deref(),
            outcome = %entry.outcome, "operator action");
        self.redis()
            .run(|mut c| async move {
                redis::cmd("XADD")
                    .arg(key)
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(AUDIT_CAP)
                    .arg("*")
                    .arg("entry")
                    .arg(json)
                    .query_async::<String>(&mut *c)
                    .await
            })
            .await?;
        Ok(())
    }

    /// The newest `count` entries, newest first.
    pub async fn audit_recent(&self, count: usize) -> Result<Vec<AuditEntry>, JobsError> {
        let key = ConsoleKeys::new(self.redis().prefix()).audit();
        let rows: Vec<(String, Vec<(String, String)>)> = self
            .redis()
            .run(|mut c| async move {
                redis::cmd("XREVRANGE")
                    .arg(key)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut *c)
                    .await
            })
            .await?;
        Ok(rows
            .into_iter()
            .flat_map(|(_, fields)| fields)
            .filter(|(name, _)| name == "entry")
            .filter_map(|(_, json)| serde_json::from_str(&json).ok())
            .collect())
    }
}
