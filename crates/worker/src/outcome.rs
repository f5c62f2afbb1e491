//! How a handler's result becomes a job outcome, with the bookkeeping every
//! queue shares: the per-job timeout, metrics, and the verdict handed to the
//! backend (retry when, defer, or dead) under the queue's retry policy.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use apalis::prelude::{AbortError, BoxDynError, TaskId};
use jobs::Queue;
use jobs::backend::Plan;

use crate::app::App;

/// Why a job did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// Try again after `after` (the row already says so).
    Retry { error: String, after: Duration },
    /// Give up: out of attempts or an error no retry can fix (the row
    /// already says failed).
    Dead(String),
    /// Infrastructure trouble before the row was touched (database down):
    /// retried on the job's own attempt count.
    Transient(anyhow::Error),
    /// The row is held by another worker's live lease until `until` (that
    /// worker may have died): look again then, without spending an attempt.
    Deferred { until: SystemTime },
}

impl From<diesel::result::Error> for JobError {
    fn from(e: diesel::result::Error) -> Self {
        JobError::Transient(e.into())
    }
}

impl From<storage::db::PoolError> for JobError {
    fn from(e: storage::db::PoolError) -> Self {
        JobError::Transient(e.into())
    }
}

/// What a successful run did, stored as the job's result in Redis.
pub type JobResult = Result<serde_json::Value, JobError>;

/// The wait before the next attempt after failed attempt `attempt`
/// (1-based), or `None` when that was the last one.
pub fn after_failure(app: &App, queue: Queue, attempt: u32) -> Option<Duration> {
    let policy = app.config.policy_of(queue);
    policy
        .retries_after(attempt)
        .then(|| policy.backoff(attempt))
}

/// Runs one job under the queue's timeout, records metrics and logs, and
/// tells the backend what to do next (Ok = done; an error with a plan =
/// retry at, defer, or dead).
pub async fn run<F>(
    app: Arc<App>,
    queue: Queue,
    task_id: TaskId,
    attempt: usize,
    job: F,
) -> Result<serde_json::Value, BoxDynError>
where
    F: Future<Output = JobResult>,
{
    let q = queue.as_str();
    let policy = app.config.policy_of(queue);
    metrics::counter!("jobs_started_total", "queue" => q).increment(1);
    metrics::gauge!("jobs_running", "queue" => q).increment(1.0);
    let started = Instant::now();
    let result = match tokio::time::timeout(policy.timeout, job).await {
        Ok(result) => result,
        Err(_) => Err(JobError::Transient(anyhow::anyhow!(
            "timed out after {} s (JOB_TIMEOUT_SECS)",
            policy.timeout.as_secs()
        ))),
    };
    let elapsed = started.elapsed().as_secs_f64();
    metrics::gauge!("jobs_running", "queue" => q).decrement(1.0);
    let id = task_id.to_string();
    let (outcome, answer) = match result {
        Ok(value) => {
            tracing::debug!(queue = q, job.id = %id, elapsed, "job done");
            ("succeeded", Ok(value))
        }
        Err(JobError::Dead(error)) => {
            tracing::warn!(queue = q, job.id = %id, error = %error, "job dead");
            app.plans.set(id, Plan::Dead);
            ("dead", Err(Box::new(AbortError::new(error)) as BoxDynError))
        }
        Err(JobError::Retry { error, after }) => {
            tracing::info!(queue = q, job.id = %id, error = %error, retry_in_ms = after.as_millis() as u64, "job failed, will retry");
            app.plans.set(id, Plan::RetryAt(SystemTime::now() + after));
            ("retried", Err(error.into()))
        }
        Err(JobError::Deferred { until }) => {
            tracing::debug!(queue = q, job.id = %id, "row held by another lease; looking again when it ends");
            app.plans.set(id, Plan::DeferUntil(until));
            ("deferred", Err("row held by another worker's lease".into()))
        }
        Err(JobError::Transient(error)) => {
            let error = format!("{error:#}");
            if policy.retries_after(attempt as u32) {
                let after = policy.backoff(attempt as u32);
                tracing::warn!(queue = q, job.id = %id, error = %error, "job hit a transient error, will retry");
                app.plans.set(id, Plan::RetryAt(SystemTime::now() + after));
                ("retried", Err(error.into()))
            } else {
                tracing::error!(queue = q, job.id = %id, error = %error, "job dead after transient errors");
                app.plans.set(id, Plan::Dead);
                ("dead", Err(Box::new(AbortError::new(error)) as BoxDynError))
            }
        }
    };
    metrics::counter!(format!("jobs_{outcome}_total"), "queue" => q).increment(1);
    metrics::histogram!("job_duration_seconds", "queue" => q, "outcome" => outcome).record(elapsed);
    answer
}
