//! Builds and runs the HTTP server: state, middleware, routes, and a
//! graceful shutdown that first reports "not ready" so load balancers drain
//! this instance before it stops accepting connections.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Compress;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::{AppExt, scope};

use crate::config::{ApiConfig, ServerConfig};
use crate::extractors;
use crate::routes;
use crate::state::{AppState, Lifecycle};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Binds the listener and builds the server; pools connect lazily, so
    /// this succeeds while Postgres or Redis are still down.
    pub async fn build(config: ApiConfig) -> anyhow::Result<Self> {
        let state = build_state(&config)?;
        let listener = TcpListener::bind((config.server.host.as_str(), config.server.port))
            .with_context(|| format!("binding {}:{}", config.server.host, config.server.port))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, state.clone(), &config.server)?;
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, then drains: readiness turns 503 for
    /// `drain_secs`, in-flight requests finish, and the process exits.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let lifecycle = self.state.lifecycle.clone();
        let drain = Duration::from_secs(self.state.config.drain_secs);
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!(drain.secs = drain.as_secs(), "shutdown requested, draining");
            lifecycle.start_draining();
            tokio::time::sleep(drain).await;
            handle.stop(true).await;
        });
        self.server.await.context("HTTP server failed")
    }

    /// Runs the server on the current runtime (tests).
    pub fn spawn(self) -> (u16, AppState) {
        let port = self.port;
        let state = self.state.clone();
        tokio::spawn(self.server);
        (port, state)
    }
}

pub fn build_state(config: &ApiConfig) -> anyhow::Result<AppState> {
    let redis =
        kv::RedisPool::connect_lazy(&config.redis).context("REDIS_URL is not a valid Redis URL")?;
    let db =
        storage::Database::connect_lazy_per_thread(&config.database, http_workers(&config.server))
            .with_write_pins(redis.clone());
    let cache = kv::cache::Cache::with_first_level(redis.clone(), config.redis.clone())
        .with_write_pins(db.write_pins().cloned());
    let budget = kv::rate_limit::Leases::new(redis.clone());
    let events = kv::events::EventBus::new(redis.clone());
    let jobs = jobs::Queues::new(redis.clone());
    let files = storage::file_store::FileStore::open(&config.server.storage_url)?;
    Ok(AppState {
        db,
        redis,
        cache,
        budget,
        events,
        jobs,
        files,
        encryption: config.encryption.key.clone(),
        config: Arc::new(config.server.clone()),
        lifecycle: Arc::new(Lifecycle::new(config.database.url.clone())),
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The number of HTTP workers (`0`: one per core), each a thread with its
/// own single-threaded runtime and Postgres pool.
fn http_workers(config: &ServerConfig) -> usize {
    if config.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        config.workers
    }
}

/// Idle time before the API closes a keep-alive connection (see `run`).
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(75);

fn run(listener: TcpListener, state: AppState, config: &ServerConfig) -> anyhow::Result<Server> {
    crate::metrics::handle();
    let data = web::Data::new(state);
    let config = config.clone();
    let workers = http_workers(&config);
    let server = HttpServer::new(move || {
        // actix runs this factory once on each worker's thread: bind that
        // thread to its own Postgres pool, opened and driven there.
        data.db.bind_current_thread();
        // One registration serves the routes and yields their document.
        let (app, doc) = App::new()
            .into_utoipa_app()
            .openapi(crate::openapi::base())
            .app_data(data.clone())
            .app_data(extractors::json_config(config.json_limit))
            .app_data(extractors::query_config())
            .app_data(extractors::path_config())
            .map(|app| app.configure(crate::openapi::configure))
            .configure(routes::configure_root)
            .service(
                scope("/api")
                    .wrap(actix_web::middleware::from_fn(
                        crate::read_your_writes::pin_after_writes,
                    ))
                    .wrap(actix_web::middleware::from_fn(
                        crate::auth::scope_guard::enforce,
                    ))
                    .wrap(actix_web::middleware::from_fn(
                        crate::rate_limit::per_token_budget,
                    ))
                    .configure(routes::configure_api),
            )
            .split_for_parts();
        app.app_data(web::Data::new(crate::openapi::Document::finish(doc)))
            .default_service(web::to(routes::fallback::no_route))
            .wrap(actix_web::middleware::ErrorHandlers::new().handler(
                actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
                routes::fallback::render_405,
            ))
            .wrap(crate::http_defaults::cors(&config.cors_allowed_origins))
            .wrap(Compress::default())
            .wrap(actix_web::middleware::from_fn(
                crate::http_defaults::security_headers,
            ))
            .wrap(actix_web::middleware::from_fn(request_id_header))
            .wrap(actix_web::middleware::from_fn(
                crate::metrics::track_requests,
            ))
            .wrap(TracingLogger::<crate::request_span::QuietRootSpan>::new())
    })
    .workers(workers)
    // Longer than the idle timeout of what sits in front (nginx's upstream
    // keepalive_timeout 60 s, cloud load balancers 60 s), so the proxy always
    // closes an idle connection first: actix's default 5 s lets a proxy send a
    // request down a connection the API is closing, a 502 that nginx does not
    // retry for POST.
    .keep_alive(KEEP_ALIVE)
    .disable_signals()
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Copies the request id of the tracing span onto the response, so a client
/// can quote it and operators find every log line of that request.
async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let request_id = actix_web::HttpMessage::extensions(&req)
        .get::<RequestId>()
        .copied();
    let mut response = next.call(req).await?;
    if let Some(id) = request_id
        && let Ok(value) = HeaderValue::from_str(&id.to_string())
    {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}
