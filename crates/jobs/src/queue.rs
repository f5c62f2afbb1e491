//! The queues and every Redis key a queue uses, built from the deployment's
//! key prefix so that parallel deployments and tests never share a queue.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One queue per job type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Queue {
    DocumentProcessing,
    Email,
    WebhookDelivery,
    AnalyticsAggregation,
    Sweeper,
}

impl Queue {
    pub const ALL: [Queue; 5] = [
        Queue::DocumentProcessing,
        Queue::Email,
        Queue::WebhookDelivery,
        Queue::AnalyticsAggregation,
        Queue::Sweeper,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::DocumentProcessing => "document-processing",
            Queue::Email => "email",
            Queue::WebhookDelivery => "webhook-delivery",
            Queue::AnalyticsAggregation => "analytics-aggregation",
            Queue::Sweeper => "sweeper",
        }
    }

    /// The keys of this queue under `prefix` (`RedisConfig.prefix`).
    pub fn keys(self, prefix: &str) -> QueueKeys {
        QueueKeys {
            queue: self,
            name: format!("{prefix}:{}", self.as_str()),
        }
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown queue `{0}` (expected one of document-processing, email, webhook-delivery, analytics-aggregation, sweeper)"
)]
pub struct UnknownQueue(pub String);

impl FromStr for Queue {
    type Err = UnknownQueue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Queue::ALL
            .into_iter()
            .find(|q| q.as_str() == s.trim())
            .ok_or_else(|| UnknownQueue(s.to_owned()))
    }
}

/// Redis key names of one queue. `{name}` is `{prefix}:{queue}`; the first
/// group is apalis-redis' own layout, the last two are ours.
#[derive(Debug, Clone)]
pub struct QueueKeys {
    pub queue: Queue,
    /// `{prefix}:{queue}`: the apalis queue name.
    pub name: String,
}

impl QueueKeys {
    /// The apalis-redis configuration of this queue.
    pub fn apalis_config(
        &self,
        heartbeat: Duration,
        missed_heartbeats: usize,
        batch_size: usize,
    ) -> apalis_redis::Config {
        apalis_redis::Config::default()
            .queue(&self.name)
            .heartbeat_interval(heartbeat)
            .missed_heartbeats(missed_heartbeats)
            .batch_size(batch_size.max(1))
            // Nobody subscribes to apalis' per-task events; our own wake-up
            // channel below tells idle workers about new jobs.
            .emit_events(false)
    }

    /// List of job ids ready to run (LPUSH/RPUSH order).
    pub fn active(&self) -> String {
        format!("{}:active", self.name)
    }
    /// Sorted set of job ids by run-at second: new jobs until the next fetch
    /// promotes them, and failed jobs waiting for their retry.
    pub fn scheduled(&self) -> String {
        format!("{}:scheduled", self.name)
    }
    /// Hash job id -> JSON payload.
    pub fn data(&self) -> String {
        format!("{}:data", self.name)
    }
    /// Hash per job: status, attempts, result, done_at.
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
    /// Sorted set worker name -> last heartbeat (seconds).
    pub fn workers(&self) -> String {
        format!("{}:workers", self.name)
    }
    /// Set of job ids fetched by one worker and not finished yet.
    pub fn inflight(&self, worker: &str) -> String {
        format!("{}:inflight:{worker}", self.name)
    }
    /// Ours: the pub/sub channel idle workers listen on; every enqueue
    /// publishes to it.
    pub fn wake_channel(&self) -> String {
        format!("{}:wake", self.name)
    }
    /// Ours: the lock that lets one process enqueue a scheduled job per tick.
    pub fn tick_lock(&self, tick: u64) -> String {
        format!("{}:tick:{tick}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_keys_carry_the_prefix() {
        for q in Queue::ALL {
            assert_eq!(q.as_str().parse::<Queue>().unwrap(), q);
        }
        assert!("nope".parse::<Queue>().is_err());
        let keys = Queue::Email.keys("esx");
        assert_eq!(keys.active(), "esx:email:active");
        assert_eq!(keys.meta("01J"), "esx:email:meta:01J");
        assert_eq!(keys.inflight("w1"), "esx:email:inflight:w1");
        let cfg = keys.apalis_config(Duration::from_secs(5), 2, 10);
        assert_eq!(cfg.active_jobs_list(), keys.active());
        assert_eq!(cfg.scheduled_jobs_set(), keys.scheduled());
        assert_eq!(cfg.job_data_hash(), keys.data());
        assert_eq!(cfg.job_meta_hash(), keys.meta_prefix());
        assert_eq!(cfg.done_jobs_set(), keys.done());
        assert_eq!(cfg.dead_jobs_set(), keys.dead());
        assert_eq!(cfg.workers_set(), keys.workers());
        assert_eq!(
            format!("{}:w1", cfg.inflight_jobs_set()),
            keys.inflight("w1")
        );
    }
}
