//! The queues, one per job type. Their Redis keys live in `backend::keys`,
//! built from the deployment's key prefix so parallel deployments never share a queue.

use std::fmt;
use std::str::FromStr;

pub use crate::backend::QueueKeys;

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
        QueueKeys::new(self, prefix)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for q in Queue::ALL {
            assert_eq!(q.as_str().parse::<Queue>().unwrap(), q);
        }
        assert!("nope".parse::<Queue>().is_err());
    }
}
