//! The console's templates (minijinja, embedded with `include_str!`, HTML
//! auto-escaped) and the filters they share: relative ages and UTC times.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use minijinja::{Environment, Value};

const TEMPLATES: [(&str, &str); 6] = [
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("error.html", include_str!("templates/error.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("queue.html", include_str!("templates/queue.html")),
    ("job.html", include_str!("templates/job.html")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // The templates ship in the binary and a test renders each one;
            // a broken one shows as an error page, never a panic.
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(template = name, error = %error, "console template broken");
            }
        }
        env.add_filter("ago", ago);
        env.add_filter("utc", utc);
        env.add_filter("duration", duration);
        env
    })
}

/// `now - then` as "12 s ago", "3 min ago", ... (`now` and `then` in seconds).
fn ago(then: Option<u64>, now: u64) -> String {
    match then {
        Some(then) if then <= now => format!("{} ago", duration(Some(now - then))),
        Some(then) => format!("in {}", duration(Some(then - now))),
        None => "-".into(),
    }
}

/// Seconds as "45 s", "12 min", "3 h 5 min", "2 d 4 h".
fn duration(secs: Option<u64>) -> String {
    let Some(s) = secs else { return "-".into() };
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Unix seconds (or milliseconds, when `ms`) as `2026-12-01 12:00:00 UTC`.
fn utc(value: Option<u64>, ms: Option<bool>) -> String {
    let Some(v) = value else { return "-".into() };
    let secs = if ms.unwrap_or(false) { v / 1000 } else { v };
    chrono::DateTime::from_timestamp(secs as i64, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Renders `template`; an error page if the template fails.
pub fn page(status: StatusCode, template: &str, ctx: Value) -> HttpResponse {
    let html = env().get_template(template).and_then(|t| t.render(ctx));
    match html {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(error) => {
            tracing::error!(
                template,
                error = format!("{error:#}"),
                "console page failed to render"
            );
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("the console page failed to render")
        }
    }
}

pub fn ok(template: &str, ctx: Value) -> HttpResponse {
    page(StatusCode::OK, template, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_times_read_well() {
        assert_eq!(ago(Some(90), 100), "10 s ago");
        assert_eq!(ago(Some(200), 100), "in 1 min");
        assert_eq!(duration(Some(3 * 3600 + 300)), "3 h 5 min");
        assert_eq!(utc(Some(0), None), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(Some(1000), Some(true)), "1970-01-01 00:00:01 UTC");
        assert_eq!(ago(None, 1), "-");
    }

    #[test]
    fn every_template_compiles() {
        for (name, _) in TEMPLATES {
            assert!(env().get_template(name).is_ok(), "{name}");
        }
    }
}
