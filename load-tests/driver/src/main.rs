//! Command line of the EchoSenseiX load driver: parses the flags, runs the
//! HTTP mix or the WebSocket soak, prints the report, and exits 1 when a bar is missed.

mod http_mode;
mod mix;
mod report;
mod stats;
mod ws_mode;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};

use crate::report::{HttpReport, Thresholds};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Mode {
    /// The scenarios of load-tests/mix.json (as the k6 and Artillery scripts run them)
    Http,
    /// Many /ws/realtime-sync connections held open
    Ws,
}

/// Load driver for the EchoSenseiX API: the guide's scenarios of load-tests/mix.json
/// (http mode) or a WebSocket connection soak (ws mode). Exits 1 when the success
/// bar is missed.
#[derive(Debug, Parser)]
#[command(name = "echosenseix-loadtest", version)]
struct Cli {
    #[arg(long, value_enum, default_value = "http")]
    mode: Mode,
    /// The API (or the load balancer in front of it).
    #[arg(long, env = "BASE_URL", default_value = "http://localhost:5000")]
    base_url: String,
    /// The mix definition (default: load-tests/mix.json as built in).
    #[arg(long)]
    mix: Option<std::path::PathBuf>,
    /// One account for every user (default: each user its own seeded account,
    /// mix.json's users.email; ws mode: the first of them).
    #[arg(long, env = "LOGIN_EMAIL")]
    email: Option<String>,
    /// Several accounts, comma separated, shared round-robin (overrides --email).
    #[arg(long, value_delimiter = ',')]
    emails: Vec<String>,
    /// Password of the accounts (default: mix.json's users.password).
    #[arg(long, env = "LOGIN_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// How long to run (http: including the ramp-up; ws: holding after the last connect).
    /// Units: ms, s, m, h; a bare number is seconds.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    duration: Duration,

    /// http: concurrent virtual users, each its own request loop.
    #[arg(long, default_value_t = 100, help_heading = "HTTP mode")]
    users: usize,
    /// http: users start evenly over this time (open loop: the rate climbs over it).
    #[arg(long, default_value = "10s", value_parser = parse_duration, help_heading = "HTTP mode")]
    ramp_up: Duration,
    /// http: pause after each answer; 0 measures the server's capacity (closed loop).
    #[arg(long, default_value = "0ms", value_parser = parse_duration, help_heading = "HTTP mode")]
    think_time: Duration,
    /// http: open loop at this many requests/s across all users; latency counts from
    /// when each request was due, so a stalled server cannot hide its queue.
    #[arg(long, help_heading = "HTTP mode")]
    rate: Option<f64>,
    /// http: per-request timeout (counted as a "timeout" error).
    #[arg(long, default_value = "30s", value_parser = parse_duration, help_heading = "HTTP mode")]
    timeout: Duration,

    /// ws: connections to open.
    #[arg(long, default_value_t = 10_000, help_heading = "WebSocket mode")]
    connections: u64,
    /// ws: new connections per second ("500/s" or "500").
    #[arg(long, default_value = "500/s", value_parser = parse_rate, help_heading = "WebSocket mode")]
    connect_rate: f64,
    /// ws: bind sockets to N loopback addresses 127.0.0.2 .. 127.0.0.(N+1), round-robin,
    /// so 10k+ sockets to one server do not run out of ephemeral ports.
    #[arg(long, help_heading = "WebSocket mode")]
    source_ips: Option<u8>,
    /// ws: limit for TCP connect plus the WebSocket handshake.
    #[arg(long, default_value = "10s", value_parser = parse_duration, help_heading = "WebSocket mode")]
    connect_timeout: Duration,

    /// Bar: overall p95 latency in ms must stay below this (default: mix.json, 200).
    #[arg(long, help_heading = "Success bar")]
    p95_ms: Option<f64>,
    /// Bar: overall p99 latency in ms must stay below this (default: mix.json, 500).
    #[arg(long, help_heading = "Success bar")]
    p99_ms: Option<f64>,
    /// Bar: share of failed requests (ws: of connections lost), as a fraction
    /// (default: mix.json, 0.01 = 1 %).
    #[arg(long, help_heading = "Success bar")]
    max_error_rate: Option<f64>,

    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Time between progress lines on stderr (0 prints none).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    progress: Duration,
}

/// "250ms", "10s", "2m", "1h", "1.5s", or a bare number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (try 500ms, 10s, 2m)"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s:?}: {e}"))
}

/// "500/s" or "500".
fn parse_rate(s: &str) -> Result<f64, String> {
    let n: f64 = s
        .trim()
        .trim_end_matches("/s")
        .parse()
        .map_err(|_| format!("{s:?} is not a rate (try 500/s)"))?;
    if n > 0.0 && n.is_finite() {
        Ok(n)
    } else {
        Err(format!("{s:?}: the rate must be above 0"))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let base_url = cli.base_url.trim_end_matches('/').to_owned();
    let mix = mix::Mix::load(cli.mix.as_deref())?;
    let emails: Vec<String> = if cli.emails.is_empty() {
        cli.email.iter().cloned().collect()
    } else {
        cli.emails.iter().map(|e| e.trim().to_owned()).collect()
    };
    let password = cli
        .password
        .clone()
        .unwrap_or_else(|| mix.file.users.password.clone());
    let bar = mix.file.thresholds;
    let thresholds = Thresholds {
        p95_ms: cli.p95_ms.unwrap_or(bar.p95_ms),
        p99_ms: cli.p99_ms.unwrap_or(bar.p99_ms),
        max_error_rate: cli.max_error_rate.unwrap_or(bar.max_error_rate),
    };
    eprintln!("{}", ws_mode::raise_nofile_limit());

    let (text, json, passed) = match cli.mode {
        Mode::Http => {
            anyhow::ensure!(cli.users > 0, "--users must be at least 1");
            let ramp_up = if cli.ramp_up > cli.duration {
                eprintln!("--ramp-up is longer than --duration: ramping over the whole run");
                cli.duration
            } else {
                cli.ramp_up
            };
            if let Some(rate) = cli.rate {
                anyhow::ensure!(rate > 0.0 && rate.is_finite(), "--rate must be above 0");
            }
            let cfg = http_mode::HttpConfig {
                base_url: base_url.clone(),
                users: cli.users,
                duration: cli.duration,
                ramp_up,
                think_time: cli.think_time,
                rate: cli.rate,
                emails,
                password,
                mix,
                timeout: cli.timeout,
                progress_every: cli.progress,
            };
            let run = http_mode::run(&cfg).await?;
            let shape = match cli.rate {
                Some(rate) => format!("open loop at {rate} req/s, at most {} in flight", cli.users),
                None => format!(
                    "closed loop, {} users, think time {} ms",
                    cli.users,
                    cli.think_time.as_millis()
                ),
            };
            let title = format!("HTTP mix against {base_url}: {shape}");
            let report = HttpReport::new(title, &run.stats, run.elapsed, &thresholds)?;
            (report.render(), report.to_json(), report.passed())
        }
        Mode::Ws => {
            let cfg = ws_mode::WsConfig {
                base_url,
                connections: cli.connections,
                connect_rate: cli.connect_rate,
                duration: cli.duration,
                source_ips: cli.source_ips,
                emails: if emails.is_empty() {
                    vec![mix.email_of(0)]
                } else {
                    emails
                },
                password,
                connect_timeout: cli.connect_timeout,
                progress_every: cli.progress,
            };
            let report = ws_mode::run(&cfg, &thresholds).await?;
            (report.render(), report.to_json(), report.check.pass)
        }
    };
    println!("{text}");
    if let Some(path) = &cli.json {
        let body = serde_json::to_string_pretty(&json)?;
        std::fs::write(path, body).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("figures written to {}", path.display());
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_rates() {
        assert_eq!(parse_duration("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3 weeks").is_err());
        assert_eq!(parse_rate("500/s"), Ok(500.0));
        assert_eq!(parse_rate("20"), Ok(20.0));
        assert!(parse_rate("0/s").is_err());
    }

    #[test]
    fn cli_parses_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "echosenseix-loadtest",
            "--users",
            "4",
            "--duration",
            "2s",
            "--emails",
            "a@x.io,b@x.io",
            "--rate",
            "100",
            "--p95-ms",
            "150",
        ])
        .unwrap();
        assert!(matches!(cli.mode, Mode::Http));
        assert_eq!(cli.users, 4);
        assert_eq!(cli.emails, ["a@x.io", "b@x.io"]);
        assert_eq!(cli.rate, Some(100.0));
        assert_eq!(cli.p95_ms, Some(150.0));
        assert_eq!(cli.p99_ms, None);
        let ws = Cli::try_parse_from([
            "echosenseix-loadtest",
            "--mode",
            "ws",
            "--connect-rate",
            "250/s",
            "--source-ips",
            "8",
        ])
        .unwrap();
        assert!(matches!(ws.mode, Mode::Ws));
        assert_eq!(ws.connect_rate, 250.0);
        assert_eq!(ws.connections, 10_000);
        assert_eq!(ws.source_ips, Some(8));
    }
}
