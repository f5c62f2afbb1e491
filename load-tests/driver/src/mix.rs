//! The request mix: the endpoints of the k6 script with their weights, the
//! weighted pick, and the request (method, path, body) each pick sends.

use rand::Rng;
use reqwest::Method;
use serde_json::{Value, json};

/// Terms a support agent or a caller would really search the knowledge base for.
pub const SEARCH_TERMS: &[&str] = &[
    "pricing",
    "refund policy",
    "opening hours",
    "how do I reset my password",
    "integration setup",
    "call transfer",
    "voice settings",
    "billing",
    "cancel subscription",
    "appointment booking",
    "shipping times",
    "warranty claim",
    "data privacy",
    "escalate to a human",
    "invoice download",
    "business hours on holidays",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    AnalyticsOverview,
    CallLogs,
    Agents,
    KnowledgeBaseSearch,
    KnowledgeBaseStats,
    Health,
}

/// One request to send: what the HTTP mode turns into a reqwest call.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
}

impl Endpoint {
    /// The name reports use: method and path without the query.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::AnalyticsOverview => "GET /api/analytics/overview",
            Endpoint::CallLogs => "GET /api/call-logs",
            Endpoint::Agents => "GET /api/agents",
            Endpoint::KnowledgeBaseSearch => "POST /api/knowledge-base/search",
            Endpoint::KnowledgeBaseStats => "GET /api/knowledge-base/stats",
            Endpoint::Health => "GET /health",
        }
    }

    pub fn request(self, rng: &mut impl Rng) -> Request {
        let get = |path: String| Request {
            method: Method::GET,
            path,
            body: None,
        };
        match self {
            Endpoint::AnalyticsOverview => get("/api/analytics/overview".into()),
            // Several pages, so the run does not measure one cached key only.
            Endpoint::CallLogs => get(format!(
                "/api/call-logs?page={}&limit=20",
                rng.gen_range(1..=5)
            )),
            Endpoint::Agents => get("/api/agents?page=1&limit=20".into()),
            Endpoint::KnowledgeBaseSearch => Request {
                method: Method::POST,
                path: "/api/knowledge-base/search".into(),
                body: Some(json!({
                    "query": SEARCH_TERMS[rng.gen_range(0..SEARCH_TERMS.len())],
                    "maxResults": 10,
                })),
            },
            Endpoint::KnowledgeBaseStats => get("/api/knowledge-base/stats".into()),
            Endpoint::Health => get("/health".into()),
        }
    }
}

/// Endpoints with integer weights; a pick is a roll in `0..total_weight()`.
#[derive(Debug, Clone)]
pub struct Mix {
    entries: Vec<(Endpoint, u32)>,
    total: u32,
}

impl Mix {
    /// The weights of `load-tests/k6/load-test.js` (they add up to 100).
    pub fn standard() -> Self {
        Self::new(vec![
            (Endpoint::AnalyticsOverview, 20),
            (Endpoint::CallLogs, 25),
            (Endpoint::Agents, 20),
            (Endpoint::KnowledgeBaseSearch, 15),
            (Endpoint::KnowledgeBaseStats, 10),
            (Endpoint::Health, 10),
        ])
    }

    /// Entries with a zero weight are kept (so reports list them) but never picked.
    pub fn new(entries: Vec<(Endpoint, u32)>) -> Self {
        let total = entries.iter().map(|(_, w)| w).sum();
        Self { entries, total }
    }

    pub fn total_weight(&self) -> u32 {
        self.total
    }

    pub fn endpoints(&self) -> impl Iterator<Item = Endpoint> + '_ {
        self.entries.iter().map(|(e, _)| *e)
    }

    /// The index of the entry a roll in `0..total_weight()` lands on: entry i
    /// owns the rolls from the sum of the weights before it, up to its own weight.
    pub fn index_for_roll(&self, roll: u32) -> usize {
        let mut left = roll;
        for (i, (_, weight)) in self.entries.iter().enumerate() {
            if left < *weight {
                return i;
            }
            left -= weight;
        }
        self.entries.len().saturating_sub(1)
    }

    /// A random entry, by weight: returns its index (the stats slot) and endpoint.
    pub fn pick(&self, rng: &mut impl Rng) -> (usize, Endpoint) {
        let i = self.index_for_roll(rng.gen_range(0..self.total_weight().max(1)));
        (i, self.entries[i].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn standard_weights_match_the_k6_script() {
        let mix = Mix::standard();
        assert_eq!(mix.total_weight(), 100);
        let weights: Vec<u32> = mix.entries.iter().map(|(_, w)| *w).collect();
        assert_eq!(weights, [20, 25, 20, 15, 10, 10]);
    }

    #[test]
    fn every_roll_maps_to_its_weight_band() {
        let mix = Mix::standard();
        let mut counts = vec![0u32; mix.entries.len()];
        for roll in 0..mix.total_weight() {
            counts[mix.index_for_roll(roll)] += 1;
        }
        // Each entry owns exactly as many rolls as its weight.
        assert_eq!(counts, [20, 25, 20, 15, 10, 10]);
        assert_eq!(mix.index_for_roll(0), 0);
        assert_eq!(mix.index_for_roll(19), 0);
        assert_eq!(mix.index_for_roll(20), 1);
        assert_eq!(mix.index_for_roll(44), 1);
        assert_eq!(mix.index_for_roll(45), 2);
        assert_eq!(mix.index_for_roll(99), 5);
    }

    #[test]
    fn zero_weight_entries_are_never_picked() {
        let mix = Mix::new(vec![
            (Endpoint::Health, 0),
            (Endpoint::Agents, 3),
            (Endpoint::CallLogs, 0),
            (Endpoint::KnowledgeBaseStats, 1),
        ]);
        let picked: Vec<usize> = (0..mix.total_weight())
            .map(|r| mix.index_for_roll(r))
            .collect();
        assert_eq!(picked, [1, 1, 1, 3]);
    }

    #[test]
    fn random_picks_follow_the_weights() {
        let mix = Mix::standard();
        let mut rng = StdRng::seed_from_u64(7);
        let n = 100_000;
        let mut counts = vec![0u32; mix.entries.len()];
        for _ in 0..n {
            let (i, endpoint) = mix.pick(&mut rng);
            assert_eq!(mix.entries[i].0, endpoint);
            counts[i] += 1;
        }
        for (count, (_, weight)) in counts.iter().zip(&mix.entries) {
            let share = f64::from(*count) / f64::from(n) * 100.0;
            assert!(
                (share - f64::from(*weight)).abs() < 1.0,
                "{share} vs {weight}"
            );
        }
    }

    #[test]
    fn requests_carry_the_scripted_paths_and_bodies() {
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let r = Endpoint::CallLogs.request(&mut rng);
            let page: u32 = r
                .path
                .strip_prefix("/api/call-logs?page=")
                .and_then(|rest| rest.strip_suffix("&limit=20"))
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            assert!((1..=5).contains(&page), "{}", r.path);

            let s = Endpoint::KnowledgeBaseSearch.request(&mut rng);
            assert_eq!(s.method, Method::POST);
            let body = s.body.unwrap();
            assert_eq!(body["maxResults"], 10);
            assert!(SEARCH_TERMS.contains(&body["query"].as_str().unwrap()));
        }
        assert_eq!(
            Endpoint::Agents.request(&mut rng).path,
            "/api/agents?page=1&limit=20"
        );
    }
}
