//! This process in the worker registry the console reads: every
//! `PRESENCE_EVERY` it writes its name, host, version, queues with their
//! concurrency and the jobs it runs now (its `inflight` sets), live for
//! `PRESENCE_TTL`; a process that stops writing shows as died recently.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jobs::control::{ENGINE_HONOURS_PAUSE, WorkerPresence, WorkerQueue};

use crate::app::App;

const PRESENCE_EVERY: Duration = Duration::from_secs(2);
/// Three missed writes and the process counts as gone.
const PRESENCE_TTL_SECS: u64 = 6;

/// Writes the presence record until the process exits; Redis errors are
/// logged once per outage and retried on the next beat.
pub async fn run(app: Arc<App>) {
    let started_at = now_secs();
    let host = hostname();
    let mut failing = false;
    let mut tick = tokio::time::interval(PRESENCE_EVERY);
    loop {
        tick.tick().await;
        let result = beat(&app, &host, started_at).await;
        match (&result, failing) {
            (Err(error), false) => {
                tracing::warn!(error = %error, "could not write the worker presence; retrying")
            }
            (Ok(()), true) => tracing::info!("worker presence written again"),
            _ => {}
        }
        failing = result.is_err();
    }
}

async fn beat(app: &App, host: &str, started_at: u64) -> Result<(), jobs::JobsError> {
    let served = app.config.queues.clone();
    let inflight: Vec<String> = served
        .iter()
        .map(|q| app.queues.keys(*q).inflight(&app.name))
        .collect();
    let running: Vec<u64> = app
        .redis
        .run(|mut c| async move {
            let mut pipe = redis::pipe();
            for key in &inflight {
                pipe.scard(key);
            }
            pipe.query_async(&mut *c).await
        })
        .await?;
    let presence = WorkerPresence {
        name: app.name.clone(),
        host: host.to_owned(),
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        heartbeat: now_secs(),
        queues: served
            .iter()
            .zip(running)
            .map(|(&queue, running)| WorkerQueue {
                queue,
                concurrency: app.config.concurrency_of(queue),
                running,
            })
            .collect(),
        honours_pause: ENGINE_HONOURS_PAUSE,
        draining: app.draining.load(Ordering::Relaxed),
    };
    app.queues.announce(&presence, PRESENCE_TTL_SECS).await
}

/// The host name as the container or machine knows it.
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
