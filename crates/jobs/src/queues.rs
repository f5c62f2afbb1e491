//! `Queues`: the cloneable handle the API enqueues with. It rides on the
//! shared bb8-redis pool, which connects lazily, so it is built while Redis
//! is down; an enqueue that fails is logged and counted, never fatal: the
//! row stays queued and the worker's sweeper enqueues it later.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kv::RedisPool;
use kv::redis_pool::RedisError;
use uuid::Uuid;

use crate::payload::{AnalyticsJob, DocumentJob, EmailJob, Job, WebhookJob};
use crate::policy::RetryPolicy;
use crate::{Queue, QueueKeys};

#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error(transparent)]
    Redis(#[from] RedisError),
    #[error("redis command failed: {0}")]
    Command(#[from] redis::RedisError),
    #[error("queue backend: {0}")]
    Backend(#[from] crate::backend::BackendError),
    #[error("payload encoding: {0}")]
    Json(#[from] serde_json::Error),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("job `{0}` not found in the dead set or as a failed row")]
    NotFound(String),
}

#[derive(Clone)]
pub struct Queues {
    redis: RedisPool,
    failures: Arc<AtomicU64>,
}

impl std::fmt::Debug for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queues")
            .field("prefix", &self.redis.prefix())
            .finish()
    }
}

impl Queues {
    pub fn new(redis: RedisPool) -> Self {
        Self {
            redis,
            failures: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn redis(&self) -> &RedisPool {
        &self.redis
    }

    pub fn keys(&self, queue: Queue) -> QueueKeys {
        queue.keys(self.redis.prefix())
    }

    /// Enqueues failed since start (Redis down or slow).
    pub fn enqueue_failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Enqueues processing of `documents.id`. `None` when Redis did not take
    /// it (already logged and counted: the sweeper picks the row up later).
    pub async fn enqueue_document(&self, document_id: Uuid) -> Option<String> {
        self.enqueue_soft(&[DocumentJob { document_id }])
            .await
            .and_then(|ids| ids.into_iter().next())
    }

    pub async fn enqueue_email(&self, email_id: Uuid) -> Option<String> {
        self.enqueue_soft(&[EmailJob { email_id }])
            .await
            .and_then(|ids| ids.into_iter().next())
    }

    pub async fn enqueue_webhook_delivery(&self, delivery_id: Uuid) -> Option<String> {
        self.enqueue_webhook_deliveries(&[delivery_id])
            .await
            .into_iter()
            .next()
    }

    /// The ids `publish_event` returned, after the transaction committed.
    pub async fn enqueue_webhook_deliveries(&self, delivery_ids: &[Uuid]) -> Vec<String> {
        if delivery_ids.is_empty() {
            return Vec::new();
        }
        let jobs: Vec<WebhookJob> = delivery_ids
            .iter()
            .map(|&delivery_id| WebhookJob { delivery_id })
            .collect();
        self.enqueue_soft(&jobs).await.unwrap_or_default()
    }

    /// On-demand aggregation of one organization's day (or all of them).
    pub async fn enqueue_analytics(&self, job: AnalyticsJob) -> Option<String> {
        self.enqueue_soft(&[job])
            .await
            .and_then(|ids| ids.into_iter().next())
    }

    /// `push`, with failures logged and counted instead of returned.
    pub async fn enqueue_soft<J: Job>(&self, jobs: &[J]) -> Option<Vec<String>> {
        match self.push(jobs, None).await {
            Ok(ids) => Some(ids),
            Err(error) => {
                self.failures
                    .fetch_add(jobs.len() as u64, Ordering::Relaxed);
                metrics::counter!("jobs_enqueue_failed_total", "queue" => J::QUEUE.as_str())
                    .increment(jobs.len() as u64);
                tracing::warn!(queue = %J::QUEUE, count = jobs.len(), error = %error,
                    "enqueue failed; the sweeper will enqueue the rows later");
                None
            }
        }
    }

    /// Pushes jobs (after `delay`, if any) and wakes idle workers; returns
    /// the job ids. A row already in line (waiting, scheduled or running)
    /// is not queued again; its id is returned all the same.
    pub async fn push<J: Job>(
        &self,
        jobs: &[J],
        delay: Option<Duration>,
    ) -> Result<Vec<String>, JobsError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.keys(J::QUEUE);
        let run_at = delay.map(|d| now_secs() + d.as_secs_f64().ceil() as u64);
        let mut ids = Vec::with_capacity(jobs.len());
        let mut script = crate::backend::push_script().prepare_invoke();
        crate::backend::push_keys(&mut script, &keys);
        script
            .arg(run_at.unwrap_or(0))
            .arg(RetryPolicy::default_for(J::QUEUE).max_attempts);
        for job in jobs {
            let id = match job.row() {
                Some(row) => crate::payload::job_id_of_row(row),
                None => ulid::Ulid::generate().to_string(),
            };
            script.arg(&id).arg(serde_json::to_vec(job)?);
            ids.push(id);
        }
        let pushed = self
            .redis
            .run(|mut conn| async move { script.invoke_async::<i64>(&mut *conn).await })
            .await;
        pushed?;
        metrics::counter!("jobs_enqueued_total", "queue" => J::QUEUE.as_str())
            .increment(ids.len() as u64);
        Ok(ids)
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
