//! Every Redis key a queue uses. The first group is apalis-redis' own
//! layout (so its decoder, `RedisStorage` and apalis-board read our queues);
//! the rest are ours. A test pins the names to apalis-redis' `Config`.

use crate::Queue;

/// Redis key names of one queue. `{name}` is `{prefix}:{queue}`.
#[derive(Debug, Clone)]
pub struct QueueKeys {
    pub queue: Queue,
    /// `{prefix}:{queue}`: the apalis queue name.
    pub name: String,
}

impl QueueKeys {
    pub fn new(queue: Queue, prefix: &str) -> Self {
        Self {
            queue,
            name: format!("{prefix}:{}", queue.as_str()),
        }
    }

    /// List of job ids ready to run, taken from the head.
    pub fn active(&self) -> String {
        format!("{}:active", self.name)
    }
    /// Sorted set of job ids by run-at second: delayed jobs and failed jobs
    /// waiting for their retry.
    pub fn scheduled(&self) -> String {
        format!("{}:scheduled", self.name)
    }
    /// Hash job id -> JSON payload.
    pub fn data(&self) -> String {
        format!("{}:data", self.name)
    }
    /// Hash per job: status, attempts, max_attempts, result, locked_by, done_at.
    pub fn meta(&self, job_id: &str) -> String {
        format!("{}:meta:{job_id}", self.name)
    }
    pub fn meta_prefix(&self) -> String {
        format!("{}:meta", self.name)
    }
    pub fn done(&self) -> String {
        format!("{}:done", self.name)
    }
    pub fn dead(&self) -> String {
        format!("{}:dead", self.name)
    }
    /// Sorted set worker name -> last heartbeat (unix seconds).
    pub fn workers(&self) -> String {
        format!("{}:workers", self.name)
    }
    /// Set of job ids fetched by one worker and not acknowledged yet.
    pub fn inflight(&self, worker: &str) -> String {
        format!("{}:inflight:{worker}", self.name)
    }
    pub fn inflight_prefix(&self) -> String {
        format!("{}:inflight", self.name)
    }
    /// Ours: the pub/sub channel idle workers listen on; every enqueue
    /// publishes to it.
    pub fn wake_channel(&self) -> String {
        format!("{}:wake", self.name)
    }
    /// Ours: while this key exists, no worker takes jobs of the queue.
    pub fn paused(&self) -> String {
        format!("{}:paused", self.name)
    }
    /// Ours: hash of `done` and `failed` counts of one unix minute (kept 2 h).
    pub fn minute(&self, unix_minute: u64) -> String {
        format!("{}:minute:{unix_minute}", self.name)
    }
    pub fn minute_prefix(&self) -> String {
        format!("{}:minute", self.name)
    }
    /// Ours: the lock that lets one process enqueue a scheduled job per tick.
    pub fn tick_lock(&self, tick: u64) -> String {
        format!("{}:tick:{tick}", self.name)
    }
}

/// Ours: a key that exists as long as Redis kept its data. The sweeper sets
/// it; finding it missing means Redis lost everything (a restart without
/// persistence), so every queued row is enqueued again at once instead of
/// after `SWEEP_QUEUED_AFTER_SECS`.
pub fn epoch_key(prefix: &str) -> String {
    format!("{prefix}:jobs:epoch")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our names are apalis-redis 1.0's: its decoder, `RedisStorage` and
    /// apalis-board must read our queues.
    #[test]
    fn names_are_apalis_redis_layout() {
        let keys = Queue::Email.keys("esx");
        let cfg = apalis_redis::Config::default().queue(&keys.name);
        assert_eq!(cfg.active_jobs_list(), keys.active());
        assert_eq!(cfg.scheduled_jobs_set(), keys.scheduled());
        assert_eq!(cfg.job_data_hash(), keys.data());
        assert_eq!(cfg.job_meta_hash(), keys.meta_prefix());
        assert_eq!(cfg.done_jobs_set(), keys.done());
        assert_eq!(cfg.dead_jobs_set(), keys.dead());
        assert_eq!(cfg.workers_set(), keys.workers());
        assert_eq!(cfg.inflight_jobs_set(), keys.inflight_prefix());
        assert_eq!(keys.meta("01J"), "esx:email:meta:01J");
        assert_eq!(keys.inflight("w1"), "esx:email:inflight:w1");
    }
}
