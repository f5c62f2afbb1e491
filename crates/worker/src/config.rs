//! The worker's settings: the shared storage settings flattened in, then the
//! queues this process serves with their concurrency, delivery settings,
//! retry policy, liveness and retention. Every duration is configurable so
//! tests run them in seconds.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use jobs::{Queue, RetryPolicy};
use secrecy::SecretString;
use settings::{DatabaseConfig, EncryptionConfig, LogConfig, RedisConfig};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "echosenseix-worker",
    version,
    about = "EchoSenseiX background worker"
)]
pub struct Config {
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub redis: RedisConfig,
    #[command(flatten)]
    pub encryption: EncryptionConfig,
    #[command(flatten)]
    pub log: LogConfig,

    /// Queues this process serves (comma separated); default all.
    #[arg(
        long,
        env = "WORKER_QUEUES",
        value_delimiter = ',',
        default_value = "document-processing,email,webhook-delivery,analytics-aggregation,sweeper"
    )]
    pub queues: Vec<Queue>,
    /// Jobs run at once per queue: `document-processing=4,email=8,...`;
    /// queues not named keep their default.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value = "")]
    pub concurrency: QueueNumbers,
    /// Attempts per queue before a job is dead: `email=5,...` (a bare number
    /// sets every queue). Defaults in `jobs::RetryPolicy::default_for`.
    #[arg(long, env = "JOB_MAX_ATTEMPTS", default_value = "")]
    pub max_attempts: QueueNumbers,
    /// Base name of this process; a unique suffix is always added.
    #[arg(long, env = "WORKER_NAME")]
    pub name: Option<String>,
    #[arg(long, env = "WORKER_HOST", default_value = "0.0.0.0")]
    pub host: IpAddr,
    /// Port of `/health` and `/metrics` (0 picks a free one).
    #[arg(long, env = "WORKER_PORT", default_value_t = 5001)]
    pub port: u16,

    /// SMTP server (`smtp://host:1025`, `smtps://user:pass@host`); unset
    /// writes `.eml` files to EMAIL_OUTBOX_DIR instead.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, value_parser = parse_secret)]
    pub smtp_url: Option<SecretString>,
    #[arg(
        long,
        env = "EMAIL_FROM",
        default_value = "EchoSenseiX <no-reply@echosenseix.local>"
    )]
    pub email_from: String,
    #[arg(
        long = "email-outbox-dir",
        env = "EMAIL_OUTBOX_DIR",
        default_value = "./data/outbox"
    )]
    pub outbox_dir: PathBuf,
    /// Object storage URL for uploads (`file:///srv/uploads`, `memory://`);
    /// unset uses STORAGE_DIR.
    #[arg(long, env = "STORAGE_URL", hide_env_values = true)]
    pub storage_url: Option<String>,
    #[arg(long, env = "STORAGE_DIR", default_value = "./data/uploads")]
    pub storage_dir: PathBuf,

    /// Deliver webhooks to private, loopback and link-local addresses.
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    #[arg(long, env = "WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// Bytes of knowledge-base text per organization (its
    /// `organizations.max_knowledge_base_bytes` overrides): a document whose
    /// chunks would pass it fails with `quota_exceeded`. The API checks the
    /// same limit for text written through it.
    #[arg(long, env = "ORG_MAX_KNOWLEDGE_BASE_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub org_max_knowledge_base_bytes: i64,
    /// Consecutive failed deliveries that disable an endpoint.
    #[arg(long, env = "WEBHOOK_DISABLE_AFTER", default_value_t = 20)]
    pub webhook_disable_after: i32,

    /// First retry delay per queue in ms, doubling per attempt
    /// (`webhook-delivery=10000,...`, or one number for all queues).
    #[arg(long, env = "JOB_BACKOFF_BASE_MS", default_value = "")]
    pub backoff_base_ms: QueueNumbers,
    /// Longest wait between attempts per queue in ms.
    #[arg(long, env = "JOB_BACKOFF_MAX_MS", default_value = "")]
    pub backoff_max_ms: QueueNumbers,
    /// Longest one attempt may run per queue in seconds; past it the
    /// attempt fails and is retried.
    #[arg(long, env = "JOB_TIMEOUT_SECS", default_value = "")]
    pub timeout_secs: QueueNumbers,
    /// How long a claimed row stays with this worker unless renewed; a
    /// running job renews it every third of that. A crashed worker's rows
    /// are taken over once it runs out.
    #[arg(long, env = "JOB_LEASE_SECS", default_value_t = 30)]
    pub lease_secs: u64,

    #[arg(long, env = "WORKER_HEARTBEAT_SECS", default_value_t = 3)]
    pub heartbeat_secs: u64,
    /// Missed heartbeats after which a worker's jobs are taken over.
    #[arg(long, env = "WORKER_MISSED_HEARTBEATS", default_value_t = 3)]
    pub missed_heartbeats: usize,
    /// Backstop poll of an idle queue; new jobs wake workers at once.
    #[arg(long, env = "WORKER_POLL_INTERVAL_MS", default_value_t = 1_000)]
    pub poll_interval_ms: u64,
    /// Jobs fetched per round trip at least (default: the queue's concurrency).
    #[arg(long, env = "WORKER_BATCH_SIZE")]
    pub batch_size: Option<usize>,
    /// Jobs fetched per round trip at most: the fetch grows towards this
    /// while jobs finish fast, so cheap jobs are not bound by round trips.
    #[arg(long, env = "WORKER_PREFETCH_MAX", default_value_t = 200)]
    pub prefetch_max: usize,
    /// Time SIGTERM leaves in-flight jobs to finish.
    #[arg(long, env = "WORKER_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    #[arg(long, env = "SWEEP_INTERVAL_SECS", default_value_t = 30)]
    pub sweep_interval_secs: u64,
    /// Rows left queued this long are enqueued again.
    #[arg(long, env = "SWEEP_QUEUED_AFTER_SECS", default_value_t = 60)]
    pub sweep_queued_after_secs: u64,
    #[arg(long, env = "ANALYTICS_INTERVAL_SECS", default_value_t = 300)]
    pub analytics_interval_secs: u64,
    /// Finished jobs' state kept in Redis.
    #[arg(long, env = "RETENTION_DONE_SECS", default_value_t = 86_400)]
    pub retention_done_secs: u64,
    /// Dead jobs' state kept in Redis for inspection and retry.
    #[arg(long, env = "RETENTION_DEAD_SECS", default_value_t = 7 * 86_400)]
    pub retention_dead_secs: u64,
    /// Sent/failed mails and finished deliveries kept in Postgres.
    #[arg(long, env = "RETENTION_ROWS_SECS", default_value_t = 30 * 86_400)]
    pub retention_rows_secs: u64,
}

impl Config {
    pub fn serves(&self, queue: Queue) -> bool {
        self.queues.contains(&queue)
    }

    pub fn concurrency_of(&self, queue: Queue) -> usize {
        self.concurrency
            .get(queue)
            .unwrap_or(match queue {
                Queue::DocumentProcessing => 2,
                Queue::Email => 4,
                Queue::WebhookDelivery => 8,
                Queue::AnalyticsAggregation | Queue::Sweeper => 1,
            })
            .max(1)
    }

    /// The retry policy of `queue`: its defaults with this process' flags.
    pub fn policy_of(&self, queue: Queue) -> RetryPolicy {
        let default = RetryPolicy::default_for(queue);
        let ms = |n: usize| Duration::from_millis(n as u64);
        RetryPolicy {
            max_attempts: self
                .max_attempts
                .get(queue)
                .map_or(default.max_attempts, |n| n as u32),
            base: self.backoff_base_ms.get(queue).map_or(default.base, ms),
            cap: self.backoff_max_ms.get(queue).map_or(default.cap, ms),
            timeout: self
                .timeout_secs
                .get(queue)
                .map_or(default.timeout, |n| Duration::from_secs(n as u64)),
        }
    }

    /// Jobs this process may run at once, over every queue it serves.
    pub fn total_concurrency(&self) -> usize {
        self.queues.iter().map(|&q| self.concurrency_of(q)).sum()
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(1))
    }

    pub fn heartbeat(&self) -> Duration {
        // Heartbeats are kept in whole seconds.
        Duration::from_secs(self.heartbeat_secs.max(1))
    }

    /// The backend settings of `queue` in this process.
    pub fn queue_config(&self, queue: Queue) -> jobs::backend::QueueConfig {
        jobs::backend::QueueConfig {
            batch_size: self.batch_size.unwrap_or(self.concurrency_of(queue)).max(1),
            prefetch_max: self.prefetch_max.max(1),
            heartbeat: self.heartbeat(),
            missed_heartbeats: self.missed_heartbeats.max(1) as u32,
            poll_interval: Duration::from_millis(self.poll_interval_ms.max(10)),
            policy: self.policy_of(queue),
        }
    }
}

/// `queue=n,queue=n`, or `n` for every queue (named queues win).
#[derive(Debug, Clone, Default)]
pub struct QueueNumbers {
    pub every: Option<usize>,
    pub named: BTreeMap<Queue, usize>,
}

impl QueueNumbers {
    pub fn get(&self, queue: Queue) -> Option<usize> {
        self.named.get(&queue).copied().or(self.every)
    }
}

impl FromStr for QueueNumbers {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut numbers = QueueNumbers::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((queue, n)) = part.split_once('=') else {
                numbers.every = Some(positive(part)?);
                continue;
            };
            let queue: Queue = queue
                .trim()
                .parse()
                .map_err(|e: jobs::queue::UnknownQueue| e.to_string())?;
            numbers.named.insert(queue, positive(n)?);
        }
        Ok(numbers)
    }
}

fn positive(n: &str) -> Result<usize, String> {
    match n.trim().parse::<usize>() {
        Ok(0) => Err(format!("`{n}`: must be at least 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{n}`: expected queue=number or a number")),
    }
}

fn parse_secret(value: &str) -> Result<SecretString, String> {
    if value.trim().is_empty() {
        return Err("must not be empty".into());
    }
    Ok(SecretString::from(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_flags_parse() {
        let n: QueueNumbers = "document-processing=4, email=8,webhook-delivery=16"
            .parse()
            .unwrap();
        assert_eq!(n.get(Queue::Email), Some(8));
        assert_eq!(n.get(Queue::WebhookDelivery), Some(16));
        assert_eq!(n.get(Queue::Sweeper), None);
        let all: QueueNumbers = "100,email=5".parse().unwrap();
        assert_eq!(all.get(Queue::Email), Some(5));
        assert_eq!(all.get(Queue::Sweeper), Some(100));
        assert!("email".parse::<QueueNumbers>().is_err());
        assert!("bogus=1".parse::<QueueNumbers>().is_err());
        assert!("email=0".parse::<QueueNumbers>().is_err());
        assert!(
            "".parse::<QueueNumbers>()
                .unwrap()
                .get(Queue::Email)
                .is_none()
        );
    }
}
