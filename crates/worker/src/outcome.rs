//! How a handler's result becomes a job outcome, with the bookkeeping every
//! queue shares: metrics, exponential backoff and the attempt limit.
//!
//! apalis-redis reschedules every failed job itself at `now + attempt`
//! seconds, up to 25 times. We keep its retry (same job id, state visible in
//! Redis) but own the schedule: after a retryable failure the job's score in
//! `{queue}:scheduled` is moved to our backoff, and once the attempt limit
//! is reached the handler returns an `AbortError`, which sends the job to
//! `{queue}:dead`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apalis::prelude::{AbortError, BoxDynError, TaskId};
use jobs::Queue;
use rand::Rng;

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

/// `base * 2^(attempt-1)`, capped, plus up to 10 % jitter so retries of a
/// burst spread out.
pub fn backoff(app: &App, attempt: u32) -> Duration {
    let base = app.config.backoff_base_ms as f64;
    let exp = base * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
    let capped = exp.min(app.config.backoff_max_ms as f64);
    let jitter = rand::thread_rng().gen_range(0.0..=0.1) * capped;
    Duration::from_millis((capped + jitter) as u64)
}

/// The decision after a failed attempt number `attempt` (1-based).
pub fn after_failure(app: &App, queue: Queue, attempt: u32) -> Option<Duration> {
    (attempt < app.config.max_attempts_of(queue)).then(|| backoff(app, attempt))
}

/// Runs one job: metrics, logging, and the mapping of its outcome onto
/// apalis' (Ok = done, error = retried by the backend, AbortError = dead).
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
    metrics::counter!("jobs_started_total", "queue" => q).increment(1);
    metrics::gauge!("jobs_running", "queue" => q).increment(1.0);
    let started = Instant::now();
    let result = job.await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics::gauge!("jobs_running", "queue" => q).decrement(1.0);
    let outcome = match &result {
        Ok(_) => "succeeded",
        Err(JobError::Dead(_)) => "dead",
        Err(JobError::Retry { .. }) => "retried",
        Err(JobError::Transient(_)) if (attempt as u32) < app.config.max_attempts_of(queue) => {
            "retried"
        }
        Err(JobError::Transient(_)) => "dead",
    };
    metrics::counter!(format!("jobs_{outcome}_total"), "queue" => q).increment(1);
    metrics::histogram!("job_duration_seconds", "queue" => q, "outcome" => outcome).record(elapsed);
    match result {
        Ok(value) => {
            tracing::debug!(queue = q, job.id = %task_id, elapsed, "job done");
            Ok(value)
        }
        Err(JobError::Dead(error)) => {
            tracing::warn!(queue = q, job.id = %task_id, error = %error, "job dead");
            Err(Box::new(AbortError::new(error)))
        }
        Err(JobError::Retry { error, after }) => {
            tracing::info!(queue = q, job.id = %task_id, error = %error, retry_in_ms = after.as_millis() as u64, "job failed, will retry");
            reschedule(app, queue, task_id, after);
            Err(error.into())
        }
        Err(JobError::Transient(error)) => {
            if outcome == "dead" {
                tracing::error!(queue = q, job.id = %task_id, error = format!("{error:#}"), "job dead after transient errors");
                return Err(Box::new(AbortError::new(format!("{error:#}"))));
            }
            let after = backoff(&app, attempt as u32);
            tracing::warn!(queue = q, job.id = %task_id, error = format!("{error:#}"), "job hit a transient error, will retry");
            reschedule(app, queue, task_id, after);
            Err(format!("{error:#}").into())
        }
    }
}

/// Moves the job's retry (scheduled by apalis-redis once it has recorded
/// the failure, a few milliseconds after we return) to `after` from now,
/// and wakes the local worker then. Losing this (a crash) only means the
/// backend's own schedule applies.
const MOVE_RETRY: &str = r"
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
";

fn reschedule(app: Arc<App>, queue: Queue, task_id: TaskId, after: Duration) {
    let due = SystemTime::now() + after;
    let score = due
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64().ceil() as u64)
        .unwrap_or(0);
    let key = app.queues.keys(queue).scheduled();
    let id = task_id.to_string();
    tokio::spawn(async move {
        let mut conn = app.apalis_conn.clone();
        let script = redis::Script::new(MOVE_RETRY);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match script
                .key(&key)
                .arg(&id)
                .arg(score)
                .invoke_async::<i64>(&mut conn)
                .await
            {
                Ok(1) => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(error) => {
                    tracing::warn!(job.id = %id, error = %error, "could not move the retry; the backend's schedule applies");
                    break;
                }
            }
        }
        // The scheduled set holds whole seconds: wake once `score` is reached.
        let wake_at = UNIX_EPOCH + Duration::from_secs(score) + Duration::from_millis(20);
        let wait = wake_at
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        tokio::time::sleep(wait).await;
        app.wake(queue);
    });
}
