//! The worker's small HTTP port: `GET /health` (JSON, 503 when Postgres or
//! Redis is unreachable or the process is draining) and `GET /metrics`
//! (Prometheus text).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::app::App;

/// The process-wide Prometheus recorder (installed once, even when tests
/// start several workers in one process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("job_duration_seconds".into()),
                    &[
                        0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                        300.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may be installed already (tests); then ours
            // only renders what it sees, which is nothing, and that is fine.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub async fn bind(app: &App) -> anyhow::Result<TcpListener> {
    Ok(TcpListener::bind(SocketAddr::new(app.config.host, app.config.port)).await?)
}

pub async fn serve(app: Arc<App>, listener: TcpListener) {
    let metrics = metrics_handle();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (app, metrics) = (app.clone(), metrics.clone());
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req| route(app.clone(), metrics.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route(
    app: Arc<App>,
    metrics: PrometheusHandle,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method().as_str(), req.uri().path()) {
        ("GET", "/health") | ("GET", "/health/ready") => health(&app).await,
        ("GET", "/health/live") => reply(
            StatusCode::OK,
            "application/json",
            r#"{"status":"alive"}"#.into(),
        ),
        ("GET", "/metrics") => {
            crate::queue_gauges::refresh(&app).await;
            app.db.stats().record_gauges();
            reply(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                metrics.render(),
            )
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            "application/json",
            r#"{"error":{"code":"not_found","message":"not found"}}"#.into(),
        ),
    };
    Ok(response)
}

async fn health(app: &App) -> Response<Full<Bytes>> {
    let (database, redis) = tokio::join!(app.db.ping(), app.redis.ping());
    let draining = app.draining.load(Ordering::Relaxed);
    let status = if database && redis && !draining {
        "healthy"
    } else {
        "unhealthy"
    };
    let body = serde_json::json!({
        "status": status,
        "worker": app.name,
        "version": env!("CARGO_PKG_VERSION"),
        "draining": draining,
        "queues": app.config.queues.iter().map(|q| serde_json::json!({
            "queue": q, "concurrency": app.config.concurrency_of(*q), "maxAttempts": app.config.policy_of(*q).max_attempts,
        })).collect::<Vec<_>>(),
        "connections": {"database": database, "redis": redis},
        "pool": app.db.stats(),
        "enqueueFailures": app.queues.enqueue_failures(),
    });
    let code = if status == "healthy" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    reply(code, "application/json", body.to_string())
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}
