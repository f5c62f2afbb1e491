//! The EchoSenseiX worker as a library: `start` builds everything from a
//! `Config` and runs the queue workers, the scheduler, the wake-up listener
//! and the `/health` + `/metrics` port; the binary and the tests use it.

pub mod app;
pub mod config;
pub mod extraction;
pub mod handlers;
pub mod http;
pub mod lease;
pub mod mail;
pub mod outcome;
pub mod presence;
pub mod queue_gauges;
pub mod retention;
pub mod runner;
pub mod scheduler;
pub mod wake;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches};
use kv::RedisPool;
use object_store::ObjectStore;
use storage::Database;
use tokio::sync::oneshot;

use crate::app::App;
pub use crate::config::Config;

/// Parses flags and environment; the database pool is sized from the total
/// concurrency unless DATABASE_MAX_CONNECTIONS was given.
pub fn parse_config() -> Config {
    let matches = settings::matches_or_exit(Config::command(), std::env::args());
    let mut config = match Config::from_arg_matches(&matches) {
        Ok(config) => config,
        Err(e) => settings::exit_redacted(e),
    };
    if matches.value_source("database_max_connections")
        == Some(clap::parser::ValueSource::DefaultValue)
    {
        config.database.max_connections = (config.total_concurrency() + 4) as u32;
    }
    config.database.min_idle = config
        .database
        .min_idle
        .min(config.database.max_connections);
    config
}

/// A running worker.
pub struct Running {
    pub addr: SocketAddr,
    pub name: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Starts draining (what SIGTERM does).
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Waits for the drain to finish.
    pub async fn join(mut self) -> anyhow::Result<()> {
        self.shutdown();
        self.task.await.context("worker task")?
    }
}

/// Connects, binds the HTTP port and starts every component.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let app = Arc::new(build(config).await?);
    let listener = http::bind(&app).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(http::serve(app.clone(), listener));
    tokio::spawn(wake::listen(
        app.config.redis.clone(),
        app.doorbells.clone(),
    ));
    scheduler::spawn(&app);
    tokio::spawn(presence::run(app.clone()));
    tracing::info!(worker = %app.name, %addr, queues = ?app.config.queues, "worker started");
    let (stop, stopped) = oneshot::channel::<()>();
    let name = app.name.clone();
    let task = tokio::spawn(async move {
        let drain = app.clone();
        let signal = Box::pin(async move {
            let _ = stopped.await;
            drain.draining.store(true, Ordering::Relaxed);
            tracing::info!("draining: no new jobs, finishing the running ones");
            Ok(())
        });
        let result = runner::run(app.clone(), signal).await;
        tracing::info!(worker = %app.name, "worker stopped");
        result
    });
    Ok(Running {
        addr,
        name,
        stop: Some(stop),
        task,
    })
}

async fn build(config: Config) -> anyhow::Result<App> {
    let _ = http::metrics_handle();
    let name = format!(
        "{}-{}-{}",
        config.name.clone().unwrap_or_else(|| "worker".into()),
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let redis = RedisPool::connect_lazy(&config.redis).context("REDIS_URL")?;
    let db = Database::connect_lazy(&config.database).with_write_pins(redis.clone());
    let queues = jobs::Queues::new(redis.clone());
    let http = outbound::client(
        Duration::from_millis(config.webhook_timeout_ms),
        config.webhook_allow_private,
    )?;
    let mailer = mail::Mailer::new(&config)?;
    let files = object_store(&config)?;
    // Its invalidations wait until every API instance's first level let go.
    let cache = kv::cache::Cache::acknowledged(redis.clone(), config.redis.clone())
        .with_write_pins(db.write_pins().cloned());
    let events = kv::events::EventBus::new(redis.clone());
    let doorbells = Arc::new(
        config
            .queues
            .iter()
            .map(|&q| (q, Arc::new(jobs::backend::Doorbell::default())))
            .collect(),
    );
    Ok(App {
        key: config.encryption.key.clone(),
        cache,
        events,
        config,
        name,
        db,
        redis,
        queues,
        job_conn: tokio::sync::OnceCell::new(),
        plans: Default::default(),
        http,
        mailer,
        files,
        doorbells,
        draining: AtomicBool::new(false),
    })
}

fn object_store(config: &Config) -> anyhow::Result<Arc<dyn ObjectStore>> {
    // The API opens STORAGE_URL the same way, so both find the same files.
    if let Some(url) = &config.storage_url {
        return Ok(storage::file_store::FileStore::open(url)?.store());
    }
    Ok(storage::file_store::FileStore::open(&config.storage_dir.to_string_lossy())?.store())
}
