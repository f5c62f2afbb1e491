//! The HTTP mode: logs every virtual user in as its own seeded account, then
//! runs the scenarios of the mix closed-loop (each user back to back, with an
//! optional think time) or open-loop at a fixed arrival rate of scenarios, and
//! collects per-step stats.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use futures::{StreamExt, stream};
use rand::SeedableRng;
use rand::rngs::StdRng;
use reqwest::{Client, StatusCode};
use tokio::time::{Instant, sleep, sleep_until};

use crate::mix::{Mix, Request};
use crate::stats::{CacheStatus, Outcome, RunStats};

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub base_url: String,
    pub users: usize,
    pub duration: Duration,
    pub ramp_up: Duration,
    pub think_time: Duration,
    /// Open loop: requests per second across all users.
    pub rate: Option<f64>,
    /// Accounts the users log in as, round-robin (empty: the mix's seeded users).
    pub emails: Vec<String>,
    pub password: String,
    pub mix: Mix,
    pub timeout: Duration,
    /// Seconds between progress lines on stderr; 0 prints none.
    pub progress_every: Duration,
}

pub struct HttpRun {
    pub stats: RunStats,
    pub elapsed: Duration,
}

/// One client for the whole run: HTTP/1.1 keep-alive with an idle pool large
/// enough that no user ever opens a fresh connection after its first request.
pub fn client(pool: usize, timeout: Duration) -> anyhow::Result<Client> {
    Client::builder()
        .http1_only()
        .pool_max_idle_per_host(pool)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .timeout(timeout)
        .build()
        .context("building the HTTP client")
}

/// `POST /api/auth/login` and the bearer token of the answer. A 429 (login
/// throttle) is waited out a few times; any other failure ends the run.
pub async fn login(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let body = serde_json::json!({ "email": email, "password": password });
    for _ in 0..5 {
        let resp = client
            .post(format!("{base}/api/auth/login"))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("login as {email}: could not reach {base}"))?;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                .unwrap_or(1)
                .min(30);
            sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            let shown: String = text.chars().take(300).collect();
            bail!(
                "login as {email} failed with HTTP {}: {shown}. Seed the database first \
                 (make seed) and check --base-url",
                status.as_u16()
            );
        }
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("login as {email}: the answer is not JSON"))?;
        return match json["token"].as_str() {
            Some(token) if !token.is_empty() => Ok(token.to_owned()),
            _ => bail!("login as {email} answered without a token"),
        };
    }
    bail!("login as {email} stayed throttled (HTTP 429) after 5 tries")
}

/// Logs in every user (not measured), at most 8 at a time: password hashing
/// is the server's most expensive work, and this is not what the run measures.
pub async fn login_all(
    client: &Client,
    cfg: &HttpConfig,
    count: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    stream::iter(0..count)
        .map(|i| async move {
            let email = user_email(cfg, i);
            let token = login(client, &cfg.base_url, &email, &cfg.password).await?;
            Ok::<_, anyhow::Error>((email, token))
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// The account of virtual user `i`: `--emails` round-robin, else its own seeded user.
pub fn user_email(cfg: &HttpConfig, i: usize) -> String {
    if cfg.emails.is_empty() {
        cfg.mix.email_of(i)
    } else {
        cfg.emails[i % cfg.emails.len()].clone()
    }
}

/// When the k-th request of an open-loop run is due, in seconds from the
/// start: the rate climbs linearly to `rate` over `ramp` seconds, then holds.
pub fn open_loop_offset(k: u64, rate: f64, ramp: f64) -> f64 {
    let k = k as f64;
    let ramp_requests = rate * ramp / 2.0;
    if ramp > 0.0 && k < ramp_requests {
        (2.0 * ramp * k / rate).sqrt()
    } else {
        ramp + (k - ramp_requests) / rate
    }
}

/// Shared by the users: the progress counters and, open-loop, the ticket counter.
#[derive(Default)]
struct Shared {
    requests: AtomicU64,
    errors: AtomicU64,
    next_ticket: AtomicU64,
}

pub async fn run(cfg: &HttpConfig) -> anyhow::Result<HttpRun> {
    let mix = cfg.mix.clone();
    eprintln!("scenarios (weight): {}", mix.summary());
    let client = client(cfg.users.max(1), cfg.timeout)?;
    let began = std::time::Instant::now();
    let tokens = login_all(&client, cfg, cfg.users).await?;
    let accounts = if cfg.emails.is_empty() {
        mix.file.users.count
    } else {
        cfg.emails.len()
    };
    eprintln!(
        "logged in {} users as {} account(s) in {:.1} s",
        tokens.len(),
        accounts.min(cfg.users),
        began.elapsed().as_secs_f64()
    );

    let shared = Arc::new(Shared::default());
    let start = Instant::now();
    let deadline = start + cfg.duration;
    let ticker = progress(shared.clone(), start, cfg.progress_every);
    let mut users = Vec::with_capacity(tokens.len());
    for (i, (email, token)) in tokens.into_iter().enumerate() {
        let user = User {
            email,
            client: client.clone(),
            cfg: cfg.clone(),
            mix: mix.clone(),
            token,
            shared: shared.clone(),
            stats: RunStats::new(mix.names())?,
            rng: StdRng::from_entropy(),
        };
        let ramp_at = start + cfg.ramp_up.mul_f64(i as f64 / cfg.users as f64);
        users.push(tokio::spawn(user.run(start, ramp_at, deadline)));
    }
    let mut stats = RunStats::new(mix.names())?;
    for user in users {
        stats.merge(&user.await.context("a virtual user panicked")?)?;
    }
    let elapsed = start.elapsed();
    ticker.abort();
    Ok(HttpRun { stats, elapsed })
}

struct User {
    email: String,
    client: Client,
    cfg: HttpConfig,
    mix: Mix,
    token: String,
    shared: Arc<Shared>,
    stats: RunStats,
    rng: StdRng,
}

impl User {
    async fn run(mut self, start: Instant, ramp_at: Instant, deadline: Instant) -> RunStats {
        match self.cfg.rate {
            Some(rate) => {
                let ramp = self.cfg.ramp_up.as_secs_f64();
                loop {
                    let k = self.shared.next_ticket.fetch_add(1, Ordering::Relaxed);
                    let due = start + Duration::from_secs_f64(open_loop_offset(k, rate, ramp));
                    if due >= deadline {
                        break;
                    }
                    sleep_until(due).await;
                    // Measured from when the request was due, not from when a
                    // free user got to it: a stalled server cannot hide its queue.
                    self.one(due).await;
                }
            }
            None => {
                sleep_until(ramp_at).await;
                while Instant::now() < deadline {
                    self.one(Instant::now()).await;
                    if !self.cfg.think_time.is_zero() {
                        sleep(self.cfg.think_time).await;
                    }
                }
            }
        }
        self.stats
    }

    /// One scenario, its steps in order. Open loop: the first step's latency
    /// counts from when the scenario was due, the others from when they were sent.
    async fn one(&mut self, measured_from: Instant) {
        let scenario = self.mix.pick(&mut self.rng);
        let mut from = measured_from;
        for (slot, request) in self.mix.requests(scenario, &self.email, &mut self.rng) {
            let (outcome, token) =
                send(&self.client, &self.cfg.base_url, &self.token, &request).await;
            let latency = from.elapsed();
            self.shared.requests.fetch_add(1, Ordering::Relaxed);
            if outcome.failure.is_some() {
                self.shared.errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(token) = token {
                self.token = token;
            }
            self.stats.endpoints[slot].1.record(latency, &outcome);
            from = Instant::now();
        }
    }
}

/// Sends one request and reads the whole body (so the connection goes back to
/// the pool); a capturing step also returns the answer's token.
pub async fn send(
    client: &Client,
    base: &str,
    token: &str,
    r: &Request,
) -> (Outcome, Option<String>) {
    let mut builder = client.request(r.method.clone(), format!("{base}{}", r.path));
    if r.auth {
        builder = builder.bearer_auth(token);
    }
    if let Some(body) = &r.body {
        builder = builder.json(body);
    }
    let resp = match builder.send().await {
        Ok(resp) => resp,
        Err(e) => return (transport_failure(&e), None),
    };
    let status = resp.status();
    let cache = resp
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .and_then(CacheStatus::from_header);
    let body = match resp.bytes().await {
        Ok(body) => body,
        Err(e) => return (transport_failure(&e), None),
    };
    let ok = r.expect.contains(&status.as_u16());
    let token = (ok && r.capture_token)
        .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
        .flatten()
        .and_then(|v| v["token"].as_str().map(str::to_owned));
    let outcome = Outcome {
        failure: (!ok).then(|| format!("HTTP {}", status.as_u16())),
        cache,
    };
    (outcome, token)
}

fn transport_failure(e: &reqwest::Error) -> Outcome {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect error"
    } else if e.is_body() || e.is_decode() {
        "body error"
    } else {
        "request error"
    };
    Outcome {
        failure: Some(kind.to_owned()),
        cache: None,
    }
}

/// A progress line on stderr every `every`, so a long run shows it is alive.
fn progress(shared: Arc<Shared>, start: Instant, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if every.is_zero() {
            return;
        }
        let mut last = 0;
        loop {
            sleep(every).await;
            let n = shared.requests.load(Ordering::Relaxed);
            let errors = shared.errors.load(Ordering::Relaxed);
            eprintln!(
                "[{:>5.0} s] {n} requests, {errors} errors, {:.0} req/s",
                start.elapsed().as_secs_f64(),
                (n - last) as f64 / every.as_secs_f64()
            );
            last = n;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::open_loop_offset;

    #[test]
    fn open_loop_schedule_ramps_then_holds_the_rate() {
        // No ramp: evenly spaced at 1/rate.
        assert!((open_loop_offset(0, 100.0, 0.0)).abs() < 1e-12);
        assert!((open_loop_offset(250, 100.0, 0.0) - 2.5).abs() < 1e-9);
        // A 10 s ramp to 100/s holds 500 requests; the 500th is due at 10 s.
        assert!((open_loop_offset(500, 100.0, 10.0) - 10.0).abs() < 1e-9);
        assert!((open_loop_offset(125, 100.0, 10.0) - 5.0).abs() < 1e-9);
        assert!((open_loop_offset(600, 100.0, 10.0) - 11.0).abs() < 1e-9);
        // Due times never go backwards.
        let mut last = 0.0;
        for k in 0..2000 {
            let t = open_loop_offset(k, 100.0, 10.0);
            assert!(t >= last);
            last = t;
        }
    }
}
