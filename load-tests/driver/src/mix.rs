//! The request mix, read from `load-tests/mix.json`: the one definition of the
//! guide's scenarios that the k6 script and the Artillery config read too. A
//! pick is a scenario by weight; its steps become requests in order.

use std::path::Path;

use anyhow::{Context, bail};
use rand::Rng;
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

/// The file as the repository ships it, built in so the driver runs from anywhere.
const BUILT_IN: &str = include_str!("../../mix.json");

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MixFile {
    pub users: Users,
    pub thresholds: MixThresholds,
    pub search_terms: Vec<String>,
    pub scenarios: Vec<Scenario>,
}

/// The seeded accounts: virtual user i logs in as `email` with `{n}` = i % count + 1.
#[derive(Debug, Clone, Deserialize)]
pub struct Users {
    pub email: String,
    pub count: usize,
    pub password: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MixThresholds {
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_error_rate: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub weight: u32,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub method: String,
    pub path: String,
    pub name: Option<String>,
    #[serde(default = "yes")]
    pub auth: bool,
    pub body: Option<Value>,
    /// Statuses that count as success; default 200.
    #[serde(default)]
    pub expect: Vec<u16>,
    /// The answer's `token` replaces the user's token (the login step).
    #[serde(default)]
    pub capture_token: bool,
}

fn yes() -> bool {
    true
}

/// One request to send: what the HTTP mode turns into a reqwest call.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub auth: bool,
    pub expect: Vec<u16>,
    pub capture_token: bool,
}

/// The loaded mix: scenarios with their steps, and each step's stats slot.
#[derive(Debug, Clone)]
pub struct Mix {
    pub file: MixFile,
    /// Report names of the distinct steps, in order of first appearance.
    names: Vec<&'static str>,
    /// For scenario s, step k: its index in `names`.
    slots: Vec<Vec<usize>>,
    total: u32,
}

impl Step {
    pub fn report_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            let path = self.path.split('?').next().unwrap_or_default();
            format!("{} {path}", self.method)
        })
    }
}

impl Mix {
    /// `path`, or the built-in copy of `load-tests/mix.json`.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let text = match path {
            Some(p) => {
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
            }
            None => BUILT_IN.to_owned(),
        };
        let file: MixFile = serde_json::from_str(&text).context("parsing the mix definition")?;
        Self::new(file)
    }

    pub fn new(file: MixFile) -> anyhow::Result<Self> {
        if file.scenarios.iter().any(|s| s.steps.is_empty()) || file.users.count == 0 {
            bail!("the mix needs users and a step in every scenario");
        }
        let mut owned: Vec<String> = Vec::new();
        let mut slots = Vec::new();
        for scenario in &file.scenarios {
            let mut row = Vec::new();
            for step in &scenario.steps {
                Method::from_bytes(step.method.as_bytes())
                    .with_context(|| format!("step method {:?}", step.method))?;
                let name = step.report_name();
                let slot = owned.iter().position(|n| *n == name).unwrap_or_else(|| {
                    owned.push(name);
                    owned.len() - 1
                });
                row.push(slot);
            }
            slots.push(row);
        }
        // Names live for the whole run (reports borrow them); a handful of strings.
        let names = owned.into_iter().map(|n| &*n.leak()).collect();
        let total = file.scenarios.iter().map(|s| s.weight).sum();
        Ok(Self {
            file,
            names,
            slots,
            total,
        })
    }

    /// "Authentication Flow 20, Dashboard Load 30, ...", for the run's first line.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .file
            .scenarios
            .iter()
            .map(|s| format!("{} {}", s.name, s.weight))
            .collect();
        parts.join(", ")
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names.iter().copied()
    }

    pub fn total_weight(&self) -> u32 {
        self.total
    }

    /// The scenario a roll in `0..total_weight()` lands on: scenario i owns the
    /// rolls from the sum of the weights before it, up to its own weight.
    pub fn index_for_roll(&self, roll: u32) -> usize {
        let mut left = roll;
        for (i, s) in self.file.scenarios.iter().enumerate() {
            if left < s.weight {
                return i;
            }
            left -= s.weight;
        }
        self.file.scenarios.len().saturating_sub(1)
    }

    /// A random scenario by weight: its index.
    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        self.index_for_roll(rng.gen_range(0..self.total_weight().max(1)))
    }

    /// Scenario `s`'s steps as (stats slot, request), placeholders filled for `email`.
    pub fn requests(&self, s: usize, email: &str, rng: &mut impl Rng) -> Vec<(usize, Request)> {
        let scenario = &self.file.scenarios[s];
        scenario
            .steps
            .iter()
            .zip(&self.slots[s])
            .map(|(step, &slot)| {
                let request = Request {
                    // Checked in `new`.
                    method: Method::from_bytes(step.method.as_bytes()).unwrap_or(Method::GET),
                    path: self.fill_str(&step.path, email, rng),
                    body: step.body.as_ref().map(|b| self.fill(b, email, rng)),
                    auth: step.auth,
                    expect: if step.expect.is_empty() {
                        vec![200]
                    } else {
                        step.expect.clone()
                    },
                    capture_token: step.capture_token,
                };
                (slot, request)
            })
            .collect()
    }

    /// The account of virtual user `i` (0-based).
    pub fn email_of(&self, i: usize) -> String {
        let n = i % self.file.users.count + 1;
        self.file.users.email.replace("{n}", &n.to_string())
    }

    fn fill_str(&self, s: &str, email: &str, rng: &mut impl Rng) -> String {
        let mut out = s
            .replace("{email}", email)
            .replace("{password}", &self.file.users.password);
        if out.contains("{searchTerm}") {
            let terms = &self.file.search_terms;
            let term = terms
                .get(rng.gen_range(0..terms.len().max(1)))
                .map_or("", String::as_str);
            out = out.replace("{searchTerm}", term);
        }
        if out.contains("{uuid}") {
            let id = uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid();
            out = out.replace("{uuid}", &id.to_string());
        }
        out
    }

    fn fill(&self, v: &Value, email: &str, rng: &mut impl Rng) -> Value {
        match v {
            Value::String(s) => Value::String(self.fill_str(s, email, rng)),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), self.fill(v, email, rng)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
            Value::Array(items) => items.iter().map(|v| self.fill(v, email, rng)).collect(),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_shipped_mix_has_the_guides_five_scenarios() {
        let mix = Mix::load(None).unwrap();
        let weights: Vec<(&str, u32)> = mix
            .file
            .scenarios
            .iter()
            .map(|s| (s.name.as_str(), s.weight))
            .collect();
        assert_eq!(
            weights,
            [
                ("Authentication Flow", 20),
                ("Dashboard Load", 30),
                ("Agent Operations", 25),
                ("Knowledge Base", 15),
                ("Provider Integrations", 10),
            ]
        );
        assert_eq!(mix.total_weight(), 100);
        assert!(mix.names().any(|n| n == "GET /api/providers"));
        assert!(mix.names().any(|n| n == "POST /api/auth/login"));
    }

    #[test]
    fn every_roll_maps_to_its_weight_band() {
        let mix = Mix::load(None).unwrap();
        let mut counts = vec![0u32; mix.file.scenarios.len()];
        for roll in 0..mix.total_weight() {
            counts[mix.index_for_roll(roll)] += 1;
        }
        assert_eq!(counts, [20, 30, 25, 15, 10]);
        assert_eq!(mix.index_for_roll(19), 0);
        assert_eq!(mix.index_for_roll(20), 1);
        assert_eq!(mix.index_for_roll(99), 4);
    }

    #[test]
    fn random_picks_follow_the_weights() {
        let mix = Mix::load(None).unwrap();
        let mut rng = StdRng::seed_from_u64(7);
        let n = 100_000;
        let mut counts = vec![0u32; mix.file.scenarios.len()];
        for _ in 0..n {
            counts[mix.pick(&mut rng)] += 1;
        }
        for (count, s) in counts.iter().zip(&mix.file.scenarios) {
            let share = f64::from(*count) / f64::from(n) * 100.0;
            assert!(
                (share - f64::from(s.weight)).abs() < 1.0,
                "{share} vs {}",
                s.weight
            );
        }
    }

    #[test]
    fn steps_fill_their_placeholders() {
        let mix = Mix::load(None).unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(mix.email_of(0), "loadtest-1@example.com");
        assert_eq!(mix.email_of(100), "loadtest-1@example.com");
        let login = &mix.requests(0, "loadtest-7@example.com", &mut rng)[0].1;
        assert_eq!(login.method, Method::POST);
        assert!(!login.auth && login.capture_token);
        let body = login.body.as_ref().unwrap();
        assert_eq!(body["email"], "loadtest-7@example.com");
        assert_eq!(body["password"], "password123");

        let agents = mix.requests(2, "x", &mut rng);
        let id = agents[1].1.path.strip_prefix("/api/agents/").unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert_eq!(agents[1].1.expect, [404]);
        assert_eq!(agents[0].1.expect, [200]);

        let search = &mix.requests(3, "x", &mut rng)[1].1;
        let query = search.body.as_ref().unwrap()["query"].as_str().unwrap();
        assert!(mix.file.search_terms.iter().any(|t| t == query), "{query}");
    }

    #[test]
    fn a_step_named_twice_shares_one_slot() {
        let mut file = Mix::load(None).unwrap().file;
        let step = file.scenarios[0].steps[1].clone();
        file.scenarios[1].steps.push(step);
        let mix = Mix::new(file).unwrap();
        let first = mix.requests(0, "x", &mut StdRng::seed_from_u64(2))[1].0;
        let again = mix
            .requests(1, "x", &mut StdRng::seed_from_u64(2))
            .last()
            .unwrap()
            .0;
        assert_eq!(first, again);
    }
}
