//! Per-endpoint counters and latency histograms. Each virtual user fills its
//! own copy without locks; the run merges them when the users are done.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies are recorded in microseconds, clamped to one hour.
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// A microsecond histogram with 3 significant digits (0.1 % precision).
pub fn latency_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, MAX_LATENCY_US, 3)?)
}

pub fn record_latency(h: &mut Histogram<u64>, latency: Duration) {
    let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    h.saturating_record(us.max(1));
}

/// What the `X-Cache` response header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
}

impl CacheStatus {
    pub fn from_header(value: &str) -> Option<Self> {
        let v = value.trim();
        if v.eq_ignore_ascii_case("hit") {
            Some(Self::Hit)
        } else if v.eq_ignore_ascii_case("miss") {
            Some(Self::Miss)
        } else {
            None
        }
    }
}

/// The result of one request: `failure` names an error class ("HTTP 503",
/// "timeout") and stays `None` for 2xx/3xx answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub failure: Option<String>,
    pub cache: Option<CacheStatus>,
}

#[derive(Debug, Clone)]
pub struct EndpointStats {
    pub requests: u64,
    pub errors: BTreeMap<String, u64>,
    pub latency: Histogram<u64>,
    pub cache_hits: u64,
    pub cache_misses: u64,
}

impl EndpointStats {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            requests: 0,
            errors: BTreeMap::new(),
            latency: latency_histogram()?,
            cache_hits: 0,
            cache_misses: 0,
        })
    }

    pub fn record(&mut self, latency: Duration, outcome: &Outcome) {
        self.requests += 1;
        record_latency(&mut self.latency, latency);
        if let Some(failure) = &outcome.failure {
            *self.errors.entry(failure.clone()).or_default() += 1;
        }
        match outcome.cache {
            Some(CacheStatus::Hit) => self.cache_hits += 1,
            Some(CacheStatus::Miss) => self.cache_misses += 1,
            None => {}
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Hits over answers that carried an `X-Cache` header; `None` when none did.
    pub fn hit_ratio(&self) -> Option<f64> {
        let seen = self.cache_hits + self.cache_misses;
        (seen > 0).then(|| self.cache_hits as f64 / seen as f64)
    }

    pub fn merge(&mut self, other: &EndpointStats) -> anyhow::Result<()> {
        self.requests += other.requests;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        self.latency.add(&other.latency)?;
        self.cache_hits += other.cache_hits;
        self.cache_misses += other.cache_misses;
        Ok(())
    }
}

/// One `EndpointStats` per entry of the mix, in the mix's order.
#[derive(Debug, Clone)]
pub struct RunStats {
    pub endpoints: Vec<(&'static str, EndpointStats)>,
}

impl RunStats {
    pub fn new(names: impl IntoIterator<Item = &'static str>) -> anyhow::Result<Self> {
        let endpoints = names
            .into_iter()
            .map(|n| Ok((n, EndpointStats::new()?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { endpoints })
    }

    pub fn merge(&mut self, other: &RunStats) -> anyhow::Result<()> {
        for ((_, mine), (_, theirs)) in self.endpoints.iter_mut().zip(&other.endpoints) {
            mine.merge(theirs)?;
        }
        Ok(())
    }

    pub fn overall(&self) -> anyhow::Result<EndpointStats> {
        let mut all = EndpointStats::new()?;
        for (_, s) in &self.endpoints {
            all.merge(s)?;
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(cache: Option<CacheStatus>) -> Outcome {
        Outcome {
            failure: None,
            cache,
        }
    }

    #[test]
    fn records_errors_by_class_and_cache_headers() {
        let mut s = EndpointStats::new().unwrap();
        s.record(Duration::from_millis(3), &ok(Some(CacheStatus::Hit)));
        s.record(Duration::from_millis(4), &ok(Some(CacheStatus::Miss)));
        s.record(Duration::from_millis(5), &ok(Some(CacheStatus::Hit)));
        s.record(Duration::from_millis(6), &ok(None));
        let failed = Outcome {
            failure: Some("HTTP 503".into()),
            cache: None,
        };
        s.record(Duration::from_millis(7), &failed);
        s.record(Duration::from_millis(8), &failed);
        assert_eq!(s.requests, 6);
        assert_eq!(s.error_count(), 2);
        assert_eq!(s.errors["HTTP 503"], 2);
        let ratio = s.hit_ratio().unwrap();
        assert!((ratio - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.latency.len(), 6);
    }

    #[test]
    fn merging_adds_counts_and_histograms() {
        let mut a = RunStats::new(["x", "y"]).unwrap();
        let mut b = RunStats::new(["x", "y"]).unwrap();
        a.endpoints[0].1.record(Duration::from_millis(1), &ok(None));
        b.endpoints[0].1.record(Duration::from_millis(2), &ok(None));
        b.endpoints[1].1.record(
            Duration::from_millis(3),
            &Outcome {
                failure: Some("timeout".into()),
                cache: None,
            },
        );
        a.merge(&b).unwrap();
        assert_eq!(a.endpoints[0].1.requests, 2);
        assert_eq!(a.endpoints[1].1.errors["timeout"], 1);
        let all = a.overall().unwrap();
        assert_eq!(all.requests, 3);
        assert_eq!(all.latency.len(), 3);
        assert_eq!(all.hit_ratio(), None);
    }

    #[test]
    fn cache_header_values() {
        assert_eq!(CacheStatus::from_header("HIT"), Some(CacheStatus::Hit));
        assert_eq!(CacheStatus::from_header(" miss"), Some(CacheStatus::Miss));
        assert_eq!(CacheStatus::from_header("BYPASS"), None);
    }
}
