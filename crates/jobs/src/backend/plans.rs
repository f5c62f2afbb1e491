//! What the handler decided about a failed attempt, handed to the backend's
//! acknowledgement in-process: apalis carries only the error text from the
//! handler to the backend, not when to retry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// The handler's verdict on an attempt that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Another attempt at this time.
    RetryAt(SystemTime),
    /// Not an attempt at all (the row is held by another worker's live
    /// lease): run again at this time without counting it.
    DeferUntil(SystemTime),
    /// No more attempts.
    Dead,
}

/// Plans by job id, written by the handler, taken by the acknowledgement.
#[derive(Debug, Clone, Default)]
pub struct Plans(Arc<Mutex<HashMap<String, Plan>>>);

impl Plans {
    pub fn set(&self, job_id: String, plan: Plan) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(job_id, plan);
        }
    }

    pub fn take(&self, job_id: &str) -> Option<Plan> {
        self.0.lock().ok().and_then(|mut map| map.remove(job_id))
    }
}
