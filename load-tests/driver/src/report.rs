//! Turns merged stats into figures: the per-endpoint table, the PASS/FAIL
//! checks against the success bar, and the same figures as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::stats::{EndpointStats, RunStats};

/// The success bar of the scalability guide, overridable from the CLI.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// A fraction: 0.01 is 1 %.
    pub max_error_rate: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            p95_ms: 200.0,
            p99_ms: 500.0,
            max_error_rate: 0.01,
        }
    }
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
        }
    }

    fn json(&self) -> Value {
        json!({"p50": self.p50, "p95": self.p95, "p99": self.p99, "max": self.max})
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub requests: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub throughput: f64,
    pub latency: Latency,
    pub hit_ratio: Option<f64>,
}

impl Row {
    pub fn new(name: &str, s: &EndpointStats, elapsed: Duration) -> Self {
        let secs = elapsed.as_secs_f64();
        Self {
            name: name.to_owned(),
            requests: s.requests,
            errors: s.error_count(),
            errors_by_kind: s.errors.clone(),
            throughput: if secs > 0.0 {
                s.requests as f64 / secs
            } else {
                0.0
            },
            latency: Latency::of(&s.latency),
            hit_ratio: s.hit_ratio(),
        }
    }

    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors as f64 / self.requests as f64
        }
    }

    fn json(&self) -> Value {
        json!({
            "name": self.name,
            "requests": self.requests,
            "errors": self.errors,
            "errorsByKind": self.errors_by_kind,
            "errorRate": self.error_rate(),
            "throughput": self.throughput,
            "latencyMs": self.latency.json(),
            "cacheHitRatio": self.hit_ratio,
        })
    }
}

/// One PASS/FAIL line.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: &'static str,
    pub actual: f64,
    pub limit: f64,
    pub unit: &'static str,
    pub pass: bool,
}

impl Check {
    fn line(&self) -> String {
        let verdict = if self.pass { "PASS" } else { "FAIL" };
        let (actual, limit) = match self.unit {
            "%" => (self.actual * 100.0, self.limit * 100.0),
            _ => (self.actual, self.limit),
        };
        format!(
            "{verdict}  {:<12} {actual:>10.2} {unit}  (bar: < {limit:.2} {unit})",
            self.name,
            unit = self.unit
        )
    }

    fn json(&self) -> Value {
        json!({"name": self.name, "actual": self.actual, "limit": self.limit,
               "unit": self.unit, "pass": self.pass})
    }
}

/// The bar applied to the overall row. A run that completed no request fails
/// every check: it proves nothing.
pub fn evaluate(overall: &Row, t: &Thresholds) -> Vec<Check> {
    let any = overall.requests > 0;
    let rate = overall.error_rate();
    vec![
        Check {
            name: "p95 latency",
            actual: overall.latency.p95,
            limit: t.p95_ms,
            unit: "ms",
            pass: any && overall.latency.p95 < t.p95_ms,
        },
        Check {
            name: "p99 latency",
            actual: overall.latency.p99,
            limit: t.p99_ms,
            unit: "ms",
            pass: any && overall.latency.p99 < t.p99_ms,
        },
        Check {
            name: "error rate",
            actual: rate,
            limit: t.max_error_rate,
            unit: "%",
            // A bar of 0 % means "no error at all", which a strict `<` could never meet.
            pass: any && (overall.errors == 0 || rate < t.max_error_rate),
        },
    ]
}

pub struct HttpReport {
    pub title: String,
    pub elapsed: Duration,
    pub rows: Vec<Row>,
    pub overall: Row,
    pub checks: Vec<Check>,
}

impl HttpReport {
    pub fn new(
        title: String,
        stats: &RunStats,
        elapsed: Duration,
        t: &Thresholds,
    ) -> anyhow::Result<Self> {
        let rows = stats
            .endpoints
            .iter()
            .map(|(name, s)| Row::new(name, s, elapsed))
            .collect();
        let overall = Row::new("overall", &stats.overall()?, elapsed);
        let checks = evaluate(&overall, t);
        Ok(Self {
            title,
            elapsed,
            rows,
            overall,
            checks,
        })
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{} ({:.1} s measured)\n",
            self.title,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "{:<32} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}",
            "endpoint",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "hit%"
        );
        for row in self.rows.iter().chain([&self.overall]) {
            if row.name == "overall" {
                let _ = writeln!(out, "{}", "-".repeat(107));
            }
            let hit = row
                .hit_ratio
                .map_or_else(|| "-".to_owned(), |r| format!("{:.1}", r * 100.0));
            let l = &row.latency;
            let _ = writeln!(
                out,
                "{:<32} {:>9} {:>7} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>6}",
                row.name, row.requests, row.errors, row.throughput, l.p50, l.p95, l.p99, l.max, hit
            );
        }
        let failing: Vec<&Row> = self.rows.iter().filter(|r| r.errors > 0).collect();
        if !failing.is_empty() {
            let _ = writeln!(out, "\nerrors by kind:");
            for row in failing {
                let kinds: Vec<String> = row
                    .errors_by_kind
                    .iter()
                    .map(|(k, v)| format!("{k} x{v}"))
                    .collect();
                let _ = writeln!(out, "  {:<32} {}", row.name, kinds.join(", "));
            }
        }
        let _ = writeln!(out);
        for check in &self.checks {
            let _ = writeln!(out, "{}", check.line());
        }
        out
    }

    pub fn to_json(&self) -> Value {
        json!({
            "mode": "http",
            "title": self.title,
            "elapsedSecs": self.elapsed.as_secs_f64(),
            "endpoints": self.rows.iter().map(Row::json).collect::<Vec<_>>(),
            "overall": self.overall.json(),
            "checks": self.checks.iter().map(Check::json).collect::<Vec<_>>(),
            "passed": self.passed(),
        })
    }
}

/// What the WebSocket mode measured.
#[derive(Debug)]
pub struct WsReport {
    pub title: String,
    pub attempted: u64,
    pub opened: u64,
    pub failed: BTreeMap<String, u64>,
    pub dropped: BTreeMap<String, u64>,
    pub messages: u64,
    pub open_at_end: u64,
    pub connect_latency: Latency,
    pub opening_secs: f64,
    pub check: Check,
}

impl WsReport {
    /// Lost connections (failed to open, or closed before the end) against the error bar.
    pub fn lost_check(attempted: u64, open_at_end: u64, t: &Thresholds) -> Check {
        let lost = attempted.saturating_sub(open_at_end);
        let rate = if attempted == 0 {
            1.0
        } else {
            lost as f64 / attempted as f64
        };
        Check {
            name: "lost conns",
            actual: rate,
            limit: t.max_error_rate,
            unit: "%",
            pass: attempted > 0 && (lost == 0 || rate < t.max_error_rate),
        }
    }

    pub fn render(&self) -> String {
        let kinds = |m: &BTreeMap<String, u64>| {
            let v: Vec<String> = m.iter().map(|(k, n)| format!("{k} x{n}")).collect();
            if v.is_empty() {
                String::new()
            } else {
                format!("  ({})", v.join(", "))
            }
        };
        let l = &self.connect_latency;
        let mut out = String::new();
        let _ = writeln!(out, "\n{}\n", self.title);
        let _ = writeln!(out, "attempted          {:>9}", self.attempted);
        let _ = writeln!(
            out,
            "opened             {:>9}  (all attempts made in {:.1} s)",
            self.opened, self.opening_secs
        );
        let failed: u64 = self.failed.values().sum();
        let _ = writeln!(out, "failed             {failed:>9}{}", kinds(&self.failed));
        let dropped: u64 = self.dropped.values().sum();
        let _ = writeln!(
            out,
            "closed early       {dropped:>9}{}",
            kinds(&self.dropped)
        );
        let _ = writeln!(out, "still open at end  {:>9}", self.open_at_end);
        let _ = writeln!(out, "messages received  {:>9}", self.messages);
        let _ = writeln!(
            out,
            "connect latency    p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms\n",
            l.p50, l.p99, l.max
        );
        let _ = writeln!(out, "{}", self.check.line());
        out
    }

    pub fn to_json(&self) -> Value {
        json!({
            "mode": "ws",
            "title": self.title,
            "attempted": self.attempted,
            "opened": self.opened,
            "failedByReason": self.failed,
            "closedEarlyByReason": self.dropped,
            "openAtEnd": self.open_at_end,
            "messagesReceived": self.messages,
            "connectLatencyMs": self.connect_latency.json(),
            "openingSecs": self.opening_secs,
            "checks": [self.check.json()],
            "passed": self.check.pass,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Outcome;

    fn stats_with(latencies_ms: &[(u64, u64)], errors: u64) -> RunStats {
        let mut run = RunStats::new(["GET /a", "GET /b"]).unwrap();
        let ok = Outcome {
            failure: None,
            cache: None,
        };
        for &(ms, count) in latencies_ms {
            for _ in 0..count {
                run.endpoints[0].1.record(Duration::from_millis(ms), &ok);
            }
        }
        let failed = Outcome {
            failure: Some("HTTP 500".into()),
            cache: None,
        };
        for _ in 0..errors {
            run.endpoints[1].1.record(Duration::from_millis(1), &failed);
        }
        run
    }

    fn verdicts(r: &HttpReport) -> Vec<(&'static str, bool)> {
        r.checks.iter().map(|c| (c.name, c.pass)).collect()
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        // 900 fast answers, 80 at 150 ms, 20 at 400 ms: p50 10, p95 150, p99 400.
        let run = stats_with(&[(10, 900), (150, 80), (400, 20)], 0);
        let r = HttpReport::new(
            "t".into(),
            &run,
            Duration::from_secs(10),
            &Thresholds::default(),
        )
        .unwrap();
        let l = r.overall.latency;
        // Three significant digits: within 0.1 % of the recorded value.
        assert!((l.p50 - 10.0).abs() < 0.02, "{l:?}");
        assert!((l.p95 - 150.0).abs() < 0.2, "{l:?}");
        assert!((l.p99 - 400.0).abs() < 0.5, "{l:?}");
        assert!((l.max - 400.0).abs() < 0.5, "{l:?}");
        assert_eq!(r.overall.requests, 1000);
        assert!((r.overall.throughput - 100.0).abs() < 1e-9);
        assert_eq!(
            verdicts(&r),
            [
                ("p95 latency", true),
                ("p99 latency", true),
                ("error rate", true)
            ]
        );
        assert!(r.passed());
    }

    #[test]
    fn slow_tails_fail_the_latency_bars() {
        // 6 % at 250 ms puts p95 over 200; 2 % at 600 ms puts p99 over 500.
        let run = stats_with(&[(20, 920), (250, 60), (600, 20)], 0);
        let r = HttpReport::new(
            "t".into(),
            &run,
            Duration::from_secs(1),
            &Thresholds::default(),
        )
        .unwrap();
        assert_eq!(
            verdicts(&r),
            [
                ("p95 latency", false),
                ("p99 latency", false),
                ("error rate", true)
            ]
        );
        assert!(!r.passed());
        // Looser bars from the CLI turn the same figures into a pass.
        let loose = Thresholds {
            p95_ms: 300.0,
            p99_ms: 700.0,
            max_error_rate: 0.01,
        };
        let r = HttpReport::new("t".into(), &run, Duration::from_secs(1), &loose).unwrap();
        assert!(r.passed());
    }

    #[test]
    fn error_rate_bar() {
        // 2 errors in 1000 requests (0.2 %) pass 1 %; 20 in 1000 (2 %) fail it.
        let run = stats_with(&[(5, 998)], 2);
        let t = Thresholds::default();
        let r = HttpReport::new("t".into(), &run, Duration::from_secs(1), &t).unwrap();
        assert_eq!(r.overall.errors, 2);
        assert!(r.passed());
        let run = stats_with(&[(5, 980)], 20);
        let r = HttpReport::new("t".into(), &run, Duration::from_secs(1), &t).unwrap();
        assert_eq!(verdicts(&r)[2], ("error rate", false));
        assert!(r.render().contains("HTTP 500 x20"));
        // A zero bar allows no error, and is met by a clean run.
        let zero = Thresholds {
            max_error_rate: 0.0,
            ..t
        };
        let run = stats_with(&[(5, 10)], 0);
        let r = HttpReport::new("t".into(), &run, Duration::from_secs(1), &zero).unwrap();
        assert!(r.passed());
    }

    #[test]
    fn an_empty_run_fails() {
        let run = stats_with(&[], 0);
        let r = HttpReport::new(
            "t".into(),
            &run,
            Duration::from_secs(1),
            &Thresholds::default(),
        )
        .unwrap();
        assert!(r.checks.iter().all(|c| !c.pass));
    }

    #[test]
    fn json_carries_the_table_and_verdicts() {
        // 1 error in 200 requests: 0.5 %, under the 1 % bar (exactly 1 % would fail it).
        let run = stats_with(&[(10, 199)], 1);
        let r = HttpReport::new(
            "t".into(),
            &run,
            Duration::from_secs(1),
            &Thresholds::default(),
        )
        .unwrap();
        let j = r.to_json();
        assert_eq!(j["overall"]["requests"], 200);
        assert_eq!(j["endpoints"][1]["errorsByKind"]["HTTP 500"], 1);
        assert_eq!(j["checks"][2]["pass"], true);
        assert_eq!(j["passed"], true);
        assert!(r.render().contains("PASS  p95 latency"));
    }

    #[test]
    fn websocket_losses_against_the_bar() {
        let t = Thresholds::default();
        assert!(WsReport::lost_check(10_000, 9_950, &t).pass);
        assert!(!WsReport::lost_check(10_000, 9_800, &t).pass);
        assert!(!WsReport::lost_check(0, 0, &t).pass);
    }
}
