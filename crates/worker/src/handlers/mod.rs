//! One module per queue: the job handlers. Each claims its row with a lease
//! (the conditional UPDATE is the lock), is idempotent, and records its
//! outcome in the row before answering.

pub mod analytics;
pub mod document;
pub mod email;
pub mod sweeper;
pub mod webhook;

use std::time::Duration;

use chrono::{DateTime, Utc};

/// `now + d` for lease and retry times.
pub(crate) fn after(d: Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::seconds(60))
}
