//! Prometheus metrics: a request counter and latency histogram per route and
//! status (middleware), and `GET /metrics`, which also samples the database
//! and Redis pools, WebSocket subscribers and process memory at scrape time.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, get, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::auth::principal::bearer_token;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Latency buckets from 0.5 ms to 5 s: the interesting range of this API.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (tests build many apps in one
/// process); `None` if another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Counts every request and records its latency, labelled by the route
/// pattern (`/api/agents/{id}`, not the raw path, so labels stay bounded).
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let response = next.call(req).await?;
    let request = response.request();
    let series = SeriesKey {
        method: request.method().clone(),
        route: request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into()),
        status: response.status().as_u16(),
    };
    let elapsed = started.elapsed().as_secs_f64();
    REQUEST_SERIES.with_borrow_mut(|series_of| {
        let (count, latency) = series_of
            .entry(series)
            .or_insert_with_key(SeriesKey::register);
        count.increment(1);
        latency.record(elapsed);
    });
    Ok(response)
}

/// The labels of one request series.
#[derive(PartialEq, Eq, Hash)]
struct SeriesKey {
    method: actix_web::http::Method,
    route: String,
    status: u16,
}

impl SeriesKey {
    fn register(&self) -> (metrics::Counter, metrics::Histogram) {
        let labels = [
            ("method", self.method.to_string()),
            ("route", self.route.clone()),
            ("status", self.status.to_string()),
        ];
        (
            metrics::counter!("http_requests_total", &labels),
            metrics::histogram!("http_request_duration_seconds", &labels),
        )
    }
}

thread_local! {
    /// Each worker thread's handles of the series it has served: the
    /// recorder's registry is looked up once a series, not twice a request
    /// (building the label set and hashing it was 2 % of a cached read).
    /// Bounded by routes x methods x statuses, as the series are.
    static REQUEST_SERIES: std::cell::RefCell<std::collections::HashMap<SeriesKey, (metrics::Counter, metrics::Histogram)>> =
        std::cell::RefCell::default();
}

/// Resident memory of this process in bytes (Linux), 0 elsewhere.
fn resident_memory_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmRSS:").and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
            })
        })
        .map_or(0, |kb| kb * 1024)
}

fn sample_gauges(state: &AppState) {
    state.db.stats().record_gauges();
    for replica in state.db.replicas() {
        let pool = replica.pool;
        metrics::gauge!("db_replica_pool_connections", "replica" => replica.name.clone(), "state" => "active")
            .set(f64::from(pool.active));
        metrics::gauge!("db_replica_pool_connections", "replica" => replica.name, "state" => "idle")
            .set(f64::from(pool.idle));
    }
    let (redis_total, redis_idle) = state.redis.stats();
    metrics::gauge!("redis_pool_connections", "state" => "total").set(f64::from(redis_total));
    metrics::gauge!("redis_pool_connections", "state" => "idle").set(f64::from(redis_idle));
    metrics::gauge!("redis_cache_available").set(if state.cache.available() { 1.0 } else { 0.0 });
    metrics::gauge!("websocket_subscribers").set(state.events.local_subscribers() as f64);
    metrics::gauge!("process_resident_memory_bytes").set(resident_memory_bytes() as f64);
}

/// Prometheus text exposition, for the holder of `METRICS_TOKEN`.
#[utoipa::path(tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
    (status = 401, description = "missing or wrong METRICS_TOKEN"),
    (status = 404, description = "metrics_disabled: no METRICS_TOKEN configured")))]
#[get("/metrics")]
pub async fn metrics_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let Some(expected) = &state.config.metrics_token else {
        return Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "metrics_disabled",
            "metrics are disabled (no METRICS_TOKEN configured)",
        ));
    };
    let given =
        bearer_token(&req).ok_or_else(|| ApiError::unauthorized("missing metrics token"))?;
    if !crate::auth::secret::matches(given, expected) {
        return Err(ApiError::unauthorized("wrong metrics token"));
    }
    sample_gauges(&state);
    Ok(match handle() {
        Some(handle) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(handle.render()),
        None => HttpResponse::ServiceUnavailable().body("metrics recorder unavailable"),
    })
}
