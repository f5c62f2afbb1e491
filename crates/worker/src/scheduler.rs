//! Scheduled jobs: every process serving a scheduled queue ticks, and the
//! one that wins `SET {prefix}:{queue}:tick:{n} NX` for tick `n` enqueues the
//! job, so each tick runs once across all processes.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jobs::{AnalyticsJob, Queue, SweepJob};

use crate::app::App;

pub fn spawn(app: &Arc<App>) {
    if app.config.serves(Queue::Sweeper) {
        tokio::spawn(tick_loop(
            app.clone(),
            Queue::Sweeper,
            app.config.sweep_interval_secs,
        ));
    }
    if app.config.serves(Queue::AnalyticsAggregation) {
        tokio::spawn(tick_loop(
            app.clone(),
            Queue::AnalyticsAggregation,
            app.config.analytics_interval_secs,
        ));
    }
}

async fn tick_loop(app: Arc<App>, queue: Queue, interval_secs: u64) {
    let interval = interval_secs.max(1);
    loop {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let tick = now.as_secs() / interval;
        if app.draining.load(Ordering::Relaxed) {
            return;
        }
        if let Err(error) = try_tick(&app, queue, tick, interval).await {
            tracing::warn!(queue = %queue, error = %error, "scheduled tick skipped");
        }
        let next = Duration::from_secs((tick + 1) * interval);
        tokio::time::sleep(next.saturating_sub(now)).await;
    }
}

async fn try_tick(app: &App, queue: Queue, tick: u64, interval: u64) -> anyhow::Result<()> {
    let key = app.queues.keys(queue).tick_lock(tick);
    let mut conn = app.job_conn().await;
    let won: Option<String> = redis::cmd("SET")
        .arg(&key)
        .arg(&app.name)
        .arg("NX")
        .arg("EX")
        .arg(interval * 2 + 1)
        .query_async(&mut conn)
        .await?;
    if won.is_none() {
        return Ok(());
    }
    match queue {
        Queue::Sweeper => {
            app.queues
                .push(
                    &[SweepJob {
                        tick: tick * interval,
                    }],
                    None,
                )
                .await?
        }
        Queue::AnalyticsAggregation => app.queues.push(&[AnalyticsJob::default()], None).await?,
        _ => Vec::new(),
    };
    tracing::debug!(queue = %queue, tick, "scheduled job enqueued");
    Ok(())
}
