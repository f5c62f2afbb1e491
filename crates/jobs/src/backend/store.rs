//! `QueueStore`: apalis' `Persistence` for one queue over our scripts in
//! apalis-redis' key layout. apalis' `Persisted` drives it: registration,
//! heartbeats (which also recover dead workers' jobs), fetches, and batched
//! acknowledgements of finished attempts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis_core::backend::TaskResult;
use apalis_core::backend::persistence::{Persistence, TaskEvent};
use apalis_core::task::Task;
use apalis_core::task::status::Status;
use apalis_core::worker::context::WorkerContext;
use redis::aio::ConnectionLike;
use serde_json::Value;

use super::plans::{Plan, Plans};
use super::prefetch::Prefetch;
use super::scripts;
use super::{BackendError, QueueKeys};
use crate::policy::RetryPolicy;

/// How one queue's backend behaves.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Jobs taken per fetch at least (the queue's concurrency by default).
    pub batch_size: usize,
    /// Jobs taken per fetch at most, when jobs are fast (see `prefetch`).
    pub prefetch_max: usize,
    /// How often a worker says it is alive (and looks for dead ones).
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs are handed to others.
    pub missed_heartbeats: u32,
    /// Backstop fetch of an idle queue (wake-ups normally come at once).
    pub poll_interval: Duration,
    pub policy: RetryPolicy,
}

impl QueueConfig {
    /// Silence after which a worker counts as dead.
    pub fn dead_after(&self) -> Duration {
        self.heartbeat * self.missed_heartbeats.max(1)
    }
}

/// Due retries promoted per fetch: bounded so that no backlog of them can
/// make one script call long or overflow Lua's argument stack.
const PROMOTE_PER_FETCH: usize = 1_000;

#[derive(Debug, Clone)]
pub struct QueueStore<C> {
    pub(super) conn: C,
    pub(super) keys: QueueKeys,
    pub(super) config: QueueConfig,
    pub(super) plans: Plans,
    pub(super) prefetch: Prefetch,
}

impl<C> Persistence for QueueStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    type Compact = Vec<u8>;
    type Response = Value;
    type Error = BackendError;

    async fn register(&mut self, worker: &WorkerContext) -> Result<(), BackendError> {
        // A worker restarted under its old name takes its leftovers back first.
        scripts::RELEASE
            .key(self.keys.inflight(worker.name()))
            .key(self.keys.active())
            .key(self.keys.meta_prefix())
            .invoke_async::<u64>(&mut self.conn)
            .await?;
        self.heartbeat(worker).await
    }

    async fn heartbeat(&mut self, worker: &WorkerContext) -> Result<(), BackendError> {
        let now = unix_secs(SystemTime::now());
        let dead_before = now.saturating_sub(self.config.dead_after().as_secs().max(1));
        let recovered: u64 = scripts::HEARTBEAT
            .key(self.keys.workers())
            .key(self.keys.active())
            .key(self.keys.inflight_prefix())
            .arg(now)
            .arg(worker.name())
            .arg(dead_before)
            .invoke_async(&mut self.conn)
            .await?;
        if recovered > 0 {
            metrics::counter!("jobs_recovered_total", "queue" => self.keys.queue.as_str())
                .increment(recovered);
            tracing::warn!(queue = %self.keys.queue, recovered, "took over the jobs of a worker that stopped answering");
        }
        Ok(())
    }

    async fn fetch_next(
        &mut self,
        worker: &WorkerContext,
    ) -> Result<Vec<Task<Vec<u8>>>, BackendError> {
        let batch = self.prefetch.next();
        let reply: Vec<redis::Value> = scripts::FETCH
            .key(self.keys.workers())
            .key(self.keys.active())
            .key(self.keys.inflight(worker.name()))
            .key(self.keys.data())
            .key(self.keys.meta_prefix())
            .key(self.keys.scheduled())
            .key(self.keys.paused())
            .arg(unix_secs(SystemTime::now()))
            .arg(batch)
            .arg(worker.name())
            .arg(PROMOTE_PER_FETCH)
            .invoke_async(&mut self.conn)
            .await?;
        // apalis-redis' own decoder: the meta layout stays theirs.
        let tasks = apalis_redis::queries::deserialize_with_meta(reply)?;
        self.prefetch.fetched(batch, tasks.len());
        Ok(tasks
            .into_iter()
            .map(apalis_redis::queries::CompactTask::into_full_compact)
            .collect())
    }

    async fn reenqueue_abandoned(
        &mut self,
        tasks: Vec<Task<Vec<u8>>>,
        worker: &WorkerContext,
    ) -> Result<u64, BackendError> {
        let ids: Vec<String> = tasks
            .iter()
            .filter_map(|t| t.task_id().map(|id| id.to_string()))
            .collect();
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(scripts::RELEASE
            .key(self.keys.inflight(worker.name()))
            .key(self.keys.active())
            .key(self.keys.meta_prefix())
            .arg(ids)
            .invoke_async(&mut self.conn)
            .await?)
    }

    async fn handle_events(
        &mut self,
        events: Vec<TaskEvent<Value>>,
        worker: &WorkerContext,
    ) -> Result<(), BackendError> {
        let now = SystemTime::now();
        let mut ack = scripts::ACK.prepare_invoke();
        ack.key(self.keys.inflight(worker.name()))
            .key(self.keys.done())
            .key(self.keys.dead())
            .key(self.keys.scheduled())
            .key(self.keys.meta_prefix())
            .key(self.keys.minute_prefix())
            .arg(unix_secs(now))
            .arg(unix_secs(now) / 60);
        let mut count = 0;
        for event in &events {
            let TaskEvent::Complete(result) = event else {
                continue;
            };
            let verdict = self.verdict(result, now);
            ack.arg(result.task_id.to_string())
                .arg(serde_json::to_string(&result.result).map_err(BackendError::Encode)?)
                .arg(verdict.outcome)
                .arg(due_secs(verdict.run_at))
                .arg(verdict.attempts);
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        let (_recorded, stale): (u64, u64) = ack.invoke_async(&mut self.conn).await?;
        if stale > 0 {
            metrics::counter!("jobs_stale_acks_total", "queue" => self.keys.queue.as_str())
                .increment(stale);
            tracing::warn!(queue = %self.keys.queue, stale, "acknowledgements for jobs this worker no longer holds were skipped (taken over, or Redis lost its data)");
        }
        Ok(())
    }

    async fn push_tasks(&mut self, tasks: Vec<Task<Vec<u8>>>) -> Result<(), BackendError> {
        let mut push = scripts::PUSH.prepare_invoke();
        super::push_keys(&mut push, &self.keys);
        push.arg(0).arg(self.config.policy.max_attempts);
        for task in tasks {
            let id = task
                .task_id()
                .map(|id| id.to_string())
                .unwrap_or_else(|| ulid::Ulid::generate().to_string());
            push.arg(id).arg(task.args);
        }
        push.invoke_async::<u64>(&mut self.conn).await?;
        Ok(())
    }
}

/// What the acknowledgement records for one attempt.
struct Verdict {
    outcome: &'static str,
    run_at: SystemTime,
    attempts: usize,
}

impl<C> QueueStore<C> {
    fn verdict(&self, result: &TaskResult<Value>, now: SystemTime) -> Verdict {
        let plan = self.plans.take(&result.task_id.to_string());
        let attempts = result.attempt;
        let verdict = |outcome, run_at| Verdict {
            outcome,
            run_at,
            attempts,
        };
        if result.result.is_ok() {
            return verdict("done", now);
        }
        match plan {
            Some(Plan::RetryAt(at)) => verdict("retry", at),
            Some(Plan::DeferUntil(at)) => Verdict {
                outcome: "defer",
                run_at: at,
                attempts: attempts.saturating_sub(1),
            },
            Some(Plan::Dead) => verdict("dead", now),
            None if result.status == Status::Killed => verdict("dead", now),
            None if self.config.policy.retries_after(attempts as u32) => {
                verdict("retry", now + self.config.policy.backoff(attempts as u32))
            }
            None => verdict("dead", now),
        }
    }
}

pub(super) fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The scheduled set holds whole seconds: a due time rounds up so no retry
/// runs early.
pub(super) fn due_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
        .unwrap_or(0)
}
