//! Per-queue retry policy: how many attempts a job gets and how long it
//! waits between them. The worker's flags override the defaults; the
//! backend applies the policy when it acknowledges a failed attempt.

use std::time::Duration;

use rand::Rng;

use crate::Queue;

/// Attempts and exponential backoff of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; past it a job is dead.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubles per attempt.
    pub base: Duration,
    /// Longest wait between two attempts.
    pub cap: Duration,
    /// Longest one attempt may run before it counts as failed.
    pub timeout: Duration,
}

impl RetryPolicy {
    /// The defaults, chosen for what each queue talks to:
    ///
    /// - webhook-delivery: 20 attempts, 10 s doubling to a 6 h cap, about
    ///   2.2 days in all: a customer's endpoint down over a weekend still
    ///   gets its events (Sidekiq's 25 attempts over 21 days is the model;
    ///   deliveries older than a few days are rarely wanted, and the
    ///   endpoint is disabled after repeated failures anyway).
    /// - email: 14 attempts, 10 s doubling to a 2 h cap, about 9 h: an SMTP
    ///   relay outage of an afternoon; a password reset older than that is
    ///   worthless (its link expires).
    /// - document-processing: 5 attempts, 5 s to 10 min: failures are
    ///   mostly the file itself, so retrying for long only delays the error.
    /// - analytics and sweeper: 3 quick attempts; the next tick runs anyway.
    pub fn default_for(queue: Queue) -> Self {
        let secs = Duration::from_secs;
        match queue {
            Queue::WebhookDelivery => Self {
                max_attempts: 20,
                base: secs(10),
                cap: secs(6 * 3600),
                timeout: secs(60),
            },
            Queue::Email => Self {
                max_attempts: 14,
                base: secs(10),
                cap: secs(2 * 3600),
                timeout: secs(120),
            },
            Queue::DocumentProcessing => Self {
                max_attempts: 5,
                base: secs(5),
                cap: secs(600),
                timeout: secs(600),
            },
            Queue::AnalyticsAggregation | Queue::Sweeper => Self {
                max_attempts: 3,
                base: secs(2),
                cap: secs(60),
                timeout: secs(300),
            },
        }
    }

    /// Wait after failed attempt number `attempt` (1-based): `base *
    /// 2^(attempt-1)`, capped, plus up to 10 % jitter so a burst of failures
    /// does not come back as one burst.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let wait = self.wait(attempt).as_secs_f64();
        let jitter = rand::thread_rng().gen_range(0.0..=0.1) * wait;
        Duration::from_secs_f64(wait + jitter)
    }

    /// The wait after failed attempt `attempt` without jitter.
    fn wait(&self, attempt: u32) -> Duration {
        let exp = self.base.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1).min(40) as i32);
        Duration::from_secs_f64(exp.min(self.cap.as_secs_f64()))
    }

    /// Whether a job that failed attempt `attempt` gets another one.
    pub fn retries_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The longest a job can take from its first attempt to its last (the
    /// waits, without jitter or run time): what docs/JOBS.md quotes.
    pub fn span(&self) -> Duration {
        (1..self.max_attempts).map(|a| self.wait(a)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let policy = RetryPolicy::default_for(Queue::WebhookDelivery);
        let first = policy.backoff(1).as_secs_f64();
        assert!((10.0..=11.0).contains(&first), "{first}");
        let third = policy.backoff(3).as_secs_f64();
        assert!((40.0..=44.0).contains(&third), "{third}");
        let late = policy.backoff(19).as_secs_f64();
        assert!((21_600.0..=23_760.0).contains(&late), "{late}");
        assert!(policy.retries_after(19));
        assert!(!policy.retries_after(20));
    }

    #[test]
    fn default_spans_wait_out_real_outages() {
        let hours = |q| RetryPolicy::default_for(q).span().as_secs_f64() / 3600.0;
        assert!(hours(Queue::WebhookDelivery) > 48.0);
        assert!(hours(Queue::Email) > 6.0);
    }
}
