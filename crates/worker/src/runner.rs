//! Builds one apalis worker per served queue (our Redis backend, woken by
//! its doorbell, per-queue concurrency, jobs spawned in parallel, panics
//! caught) and runs them under a Monitor that drains on shutdown.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use jobs::backend::JobBackend;
use jobs::{AnalyticsJob, DocumentJob, EmailJob, Queue, SweepJob, WebhookJob};
use kv::redis_follow::FollowingConnection;

use crate::app::App;
use crate::handlers;
use crate::outcome;

/// One named async fn per queue (closures here trip a rustc ICE).
macro_rules! job_fn {
    ($name:ident, $job:ty, $queue:expr, $handler:path) => {
        async fn $name(
            job: $job,
            app: Data<Arc<App>>,
            id: TaskId,
            attempt: Attempt,
        ) -> Result<serde_json::Value, BoxDynError> {
            let app: Arc<App> = (*app).clone();
            // Boxed to erase the handler's future type: without it rustc 1.95
            // hits an ICE normalizing apalis' `IntoWorkerService::Backend`.
            let fut: futures::future::BoxFuture<'static, outcome::JobResult> =
                Box::pin($handler(app.clone(), job));
            outcome::run(app, $queue, id, attempt.current(), fut).await
        }
    };
}

job_fn!(
    document_job,
    DocumentJob,
    Queue::DocumentProcessing,
    handlers::document::handle
);
job_fn!(email_job, EmailJob, Queue::Email, handlers::email::handle);
job_fn!(
    webhook_job,
    WebhookJob,
    Queue::WebhookDelivery,
    handlers::webhook::handle
);
job_fn!(
    analytics_job,
    AnalyticsJob,
    Queue::AnalyticsAggregation,
    handlers::analytics::handle
);
job_fn!(
    sweep_job,
    SweepJob,
    Queue::Sweeper,
    handlers::sweeper::handle
);

macro_rules! register_queue {
    ($monitor:expr, $app:expr, $conn:expr, $queue:expr, $job:ty, $handler:ident) => {{
        let app = $app.clone();
        let conn = $conn.clone();
        $monitor.register(move |restarts| {
            let queue: Queue = $queue;
            let backend = JobBackend::<$job, _>::new(
                conn.clone(),
                app.queues.keys(queue),
                app.config.queue_config(queue),
                app.plans.clone(),
                app.doorbells.get(&queue).cloned().unwrap_or_default(),
            );
            // A restarted worker registers under a new name: the old one is
            // still within its heartbeat window.
            let name = if restarts == 0 {
                app.name.clone()
            } else {
                format!("{}-r{restarts}", app.name)
            };
            WorkerBuilder::new(name.as_str())
                .backend(backend)
                .data(app.clone())
                .concurrency(app.config.concurrency_of(queue))
                .parallelize(tokio::spawn)
                .catch_panic()
                .build($handler)
        })
    }};
}

/// Runs the workers of every served queue until `signal` resolves, then
/// stops fetching, lets in-flight jobs finish within the grace period and
/// returns.
pub async fn run(
    app: Arc<App>,
    signal: futures::future::BoxFuture<'static, std::io::Result<()>>,
) -> anyhow::Result<()> {
    let conn = app.job_conn().await;
    monitor(&app, &conn).run_with_signal(signal).await?;
    Ok(())
}

/// Registers the workers. Kept out of the async fn: building apalis workers
/// inside a coroutine trips a rustc ICE (normalizing `IntoWorkerService::Backend`).
fn monitor(app: &Arc<App>, conn: &FollowingConnection) -> Monitor {
    let grace = Duration::from_secs(app.config.shutdown_grace_secs);
    let mut monitor = Monitor::new().shutdown_timeout(grace).should_restart(|ctx, error| {
        if ctx.is_shutting_down() {
            return false;
        }
        tracing::error!(worker = ctx.name(), error = %error, "worker stopped with an error; restarting in 1 s");
        // Pause before the restart so a Redis outage does not spin.
        tokio::task::block_in_place(|| std::thread::sleep(Duration::from_secs(1)));
        true
    });
    for &queue in &app.config.queues {
        monitor = match queue {
            Queue::DocumentProcessing => register_queue!(
                monitor,
                app,
                conn,
                Queue::DocumentProcessing,
                DocumentJob,
                document_job
            ),
            Queue::Email => register_queue!(monitor, app, conn, Queue::Email, EmailJob, email_job),
            Queue::WebhookDelivery => register_queue!(
                monitor,
                app,
                conn,
                Queue::WebhookDelivery,
                WebhookJob,
                webhook_job
            ),
            Queue::AnalyticsAggregation => {
                register_queue!(
                    monitor,
                    app,
                    conn,
                    Queue::AnalyticsAggregation,
                    AnalyticsJob,
                    analytics_job
                )
            }
            Queue::Sweeper => {
                register_queue!(monitor, app, conn, Queue::Sweeper, SweepJob, sweep_job)
            }
        };
    }
    monitor
}

#[allow(dead_code)]
fn send_checks(app: Data<Arc<App>>, id: TaskId, a: Attempt) {
    fn assert_send<F: Send>(_: &F) {}
    fn assert_sync<F: Send + Sync>() {}
    assert_sync::<App>();
    assert_send(&document_job(
        DocumentJob {
            document_id: uuid::Uuid::nil(),
        },
        app.clone(),
        id.clone(),
        a.clone(),
    ));
    assert_send(&email_job(
        EmailJob {
            email_id: uuid::Uuid::nil(),
        },
        app.clone(),
        id.clone(),
        a.clone(),
    ));
    assert_send(&webhook_job(
        WebhookJob {
            delivery_id: uuid::Uuid::nil(),
        },
        app.clone(),
        id.clone(),
        a.clone(),
    ));
    assert_send(&analytics_job(
        AnalyticsJob::default(),
        app.clone(),
        id.clone(),
        a.clone(),
    ));
    assert_send(&sweep_job(SweepJob::default(), app, id, a));
}
