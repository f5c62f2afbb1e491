//! Cache namespaces with their TTL classes, and the level that answered a
//! lookup (for `X-Cache` and the `cache_requests_total` metric).

use std::time::Duration;

/// Cache namespaces with their TTL class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    Session,
    User,
    Org,
    Agent,
    Integration,
    Provider,
    Call,
    Kb,
    Document,
    Analytics,
}

impl Namespace {
    pub const ALL: [Namespace; 10] = [
        Self::Session,
        Self::User,
        Self::Org,
        Self::Agent,
        Self::Integration,
        Self::Provider,
        Self::Call,
        Self::Kb,
        Self::Document,
        Self::Analytics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::User => "user",
            Self::Org => "org",
            Self::Agent => "agent",
            Self::Integration => "integration",
            Self::Provider => "provider",
            Self::Call => "call",
            Self::Kb => "kb",
            Self::Document => "document",
            Self::Analytics => "analytics",
        }
    }

    /// TTL classes of the scalability guide.
    pub fn ttl(self) -> Duration {
        let minutes = match self {
            Self::Session => 60,
            Self::User | Self::Org => 30,
            Self::Agent => 15,
            Self::Integration | Self::Provider => 10,
            Self::Kb | Self::Call | Self::Document => 5,
            Self::Analytics => 60,
        };
        Duration::from_secs(minutes * 60)
    }
}

/// Which level answered (for the `X-Cache` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// This process' memory, no round trip.
    HitLocal,
    /// Redis.
    Hit,
    /// Neither: the loader ran.
    Miss,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HitLocal => "HIT-LOCAL",
            Self::Hit => "HIT",
            Self::Miss => "MISS",
        }
    }

    pub fn is_hit(self) -> bool {
        !matches!(self, Self::Miss)
    }
}

pub(super) fn record(ns: Namespace, status: CacheStatus) {
    let result = match status {
        CacheStatus::HitLocal => "hit_local",
        CacheStatus::Hit => "hit",
        CacheStatus::Miss => "miss",
    };
    metrics::counter!("cache_requests_total", "namespace" => ns.as_str(), "result" => result)
        .increment(1);
}
