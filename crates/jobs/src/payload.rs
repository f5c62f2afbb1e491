//! Job payloads: what the API pushes and the worker reads. Row-backed jobs
//! carry only the row id; the row holds everything else.

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Queue;

/// A payload type bound to its queue.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    const QUEUE: Queue;

    /// The row this job works on. Its job id derives from it, so a row is
    /// in line at most once however often it is enqueued.
    fn row(&self) -> Option<Uuid> {
        None
    }
}

/// The job id of a row-backed job: the row's 128 bits as a ULID.
pub fn job_id_of_row(row: Uuid) -> String {
    ulid::Ulid::from(row.as_u128()).to_string()
}

/// Extract the text of `documents.id`, store it as knowledge-base chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentJob {
    pub document_id: Uuid,
}

/// Send `email_outbox.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailJob {
    pub email_id: Uuid,
}

/// Deliver `webhook_deliveries.id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookJob {
    pub delivery_id: Uuid,
}

/// Roll call logs into `analytics_daily`: one organization or all, one day
/// or the scheduled window (yesterday and today, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsJob {
    pub organization_id: Option<Uuid>,
    pub day: Option<NaiveDate>,
}

/// One sweep: re-enqueue stalled rows, purge finished state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepJob {
    /// Seconds since the epoch of the tick that scheduled it.
    pub tick: u64,
}

impl Job for DocumentJob {
    const QUEUE: Queue = Queue::DocumentProcessing;
    fn row(&self) -> Option<Uuid> {
        Some(self.document_id)
    }
}
impl Job for EmailJob {
    const QUEUE: Queue = Queue::Email;
    fn row(&self) -> Option<Uuid> {
        Some(self.email_id)
    }
}
impl Job for WebhookJob {
    const QUEUE: Queue = Queue::WebhookDelivery;
    fn row(&self) -> Option<Uuid> {
        Some(self.delivery_id)
    }
}
impl Job for AnalyticsJob {
    const QUEUE: Queue = Queue::AnalyticsAggregation;
}
impl Job for SweepJob {
    const QUEUE: Queue = Queue::Sweeper;
}

/// The row a stored payload points at, for operator retries.
pub fn row_id(queue: Queue, payload: &[u8]) -> Option<Uuid> {
    match queue {
        Queue::DocumentProcessing => serde_json::from_slice::<DocumentJob>(payload)
            .ok()
            .map(|j| j.document_id),
        Queue::Email => serde_json::from_slice::<EmailJob>(payload)
            .ok()
            .map(|j| j.email_id),
        Queue::WebhookDelivery => serde_json::from_slice::<WebhookJob>(payload)
            .ok()
            .map(|j| j.delivery_id),
        Queue::AnalyticsAggregation | Queue::Sweeper => None,
    }
}
