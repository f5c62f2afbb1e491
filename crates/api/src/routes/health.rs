//! Health endpoints: `/health` (dependencies and pool figures), `/health/live`
//! (the process runs) and `/health/ready` (this instance should get traffic).

use std::time::Duration;

use actix_web::{HttpResponse, get};
use serde::Serialize;

use crate::state::State;

/// How long a dependency may take to answer a health probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    /// healthy, degraded (Redis down: requests still served) or unhealthy.
    status: &'static str,
    /// Seconds since the process started.
    uptime: u64,
    version: &'static str,
    connections: Connections,
    pool: PoolFigures,
    /// One entry per configured read replica (empty without replicas).
    #[schema(value_type = Vec<Object>)]
    replicas: Vec<storage::replicas::ReplicaReport>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Connections {
    database: &'static str,
    redis: &'static str,
    /// The job queues (apalis-redis) live in the same Redis: while it is
    /// down, enqueues are skipped and the worker's sweeper catches up later.
    queue: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
struct PoolFigures {
    total: u32,
    idle: u32,
    active: u32,
    max: u32,
    waiting: u64,
    timeouts: u64,
}

fn up(ok: bool) -> &'static str {
    if ok { "connected" } else { "disconnected" }
}

async fn probe(fut: impl std::future::Future<Output = bool>) -> bool {
    tokio::time::timeout(PROBE_TIMEOUT, fut)
        .await
        .unwrap_or(false)
}

/// Dependencies and pool figures: 200 healthy or degraded, 503 unhealthy.
#[utoipa::path(tag = "health", responses((status = 200, body = HealthReport),
    (status = 503, body = HealthReport)))]
#[get("/health")]
pub async fn health(state: State) -> HttpResponse {
    let (database, redis) = tokio::join!(probe(state.db.ping()), probe(state.redis.ping()));
    let stats = state.db.stats();
    let status = match (database, redis) {
        (false, _) => "unhealthy",
        (true, false) => "degraded",
        (true, true) => "healthy",
    };
    let report = HealthReport {
        status,
        uptime: state.lifecycle.started.elapsed().as_secs(),
        version: env!("CARGO_PKG_VERSION"),
        connections: Connections {
            database: up(database),
            redis: up(redis),
            queue: up(redis),
        },
        pool: PoolFigures {
            total: stats.total,
            idle: stats.idle,
            active: stats.active,
            max: stats.max,
            waiting: stats.waiting,
            timeouts: stats.timeouts,
        },
        replicas: state.db.replicas(),
    };
    if database {
        HttpResponse::Ok().json(report)
    } else {
        HttpResponse::ServiceUnavailable().json(report)
    }
}

/// 200 while the process runs.
#[utoipa::path(tag = "health", responses((status = 200)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "alive" }))
}

/// 503 while draining after SIGTERM, when Postgres is unreachable, or when
/// a migration of this binary has not been applied.
#[utoipa::path(tag = "health", responses((status = 200), (status = 503)))]
#[get("/health/ready")]
pub async fn ready(state: State) -> HttpResponse {
    let reason = if state.lifecycle.is_draining() {
        Some("draining")
    } else if !probe(state.db.ping()).await {
        Some("database_unreachable")
    } else if state.lifecycle.migrations_pending().await {
        Some("migrations_pending")
    } else {
        None
    };
    match reason {
        None => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Some(reason) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not_ready", "reason": reason })),
    }
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health).service(live).service(ready);
}
