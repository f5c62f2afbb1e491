//! sweeper: the safety net behind the queues. Re-enqueues rows a lost
//! enqueue or a dead worker left behind (queued past the deadline, or with
//! an expired lease), and applies retention to finished job state in Redis
//! and finished rows in Postgres.

use std::time::Duration;

use chrono::Utc;
use jobs::{DocumentJob, EmailJob, Queue, SweepJob, WebhookJob};
use serde_json::json;
use storage::models::{documents, email_outbox, sessions, webhook_deliveries};

use crate::app::App;
use crate::outcome::JobResult;

const BATCH: i64 = 500;

/// Sets the epoch key; true when it was missing (a fresh Redis, or the
/// first sweep of a new deployment: both mean no row has a job yet).
async fn redis_lost_its_data(app: &App) -> bool {
    let mut conn = app.job_conn().await;
    let set: Option<String> = redis::cmd("SET")
        .arg(jobs::backend::epoch_key(app.redis.prefix()))
        .arg(chrono::Utc::now().timestamp())
        .arg("NX")
        .query_async(&mut conn)
        .await
        .unwrap_or(None);
    set.is_some()
}

#[tracing::instrument(skip_all, fields(tick = job.tick))]
pub async fn handle(app: std::sync::Arc<App>, job: SweepJob) -> JobResult {
    let app = &*app;
    let cfg = &app.config;
    let now = Utc::now();
    // After Redis lost its data no queued row has a job: take them all now.
    // (Rows still in line are not queued twice: a row's job id is its own.)
    let queued_before = if redis_lost_its_data(app).await {
        tracing::warn!("Redis lost its job data; enqueueing every queued row again");
        now
    } else {
        now - chrono::Duration::seconds(cfg.sweep_queued_after_secs as i64)
    };
    let mut conn = app.db.get().await?;
    let docs = documents::stalled_ids(&mut conn, now, queued_before, BATCH).await?;
    let mails = email_outbox::stalled_ids(&mut conn, now, queued_before, BATCH).await?;
    // Deliveries due for longer than the deadline: fresh ones are about to be
    // picked up by the job enqueued with them.
    let hooks = webhook_deliveries::due_ids(&mut conn, queued_before, BATCH).await?;
    drop(conn);

    // Duplicates of jobs already queued are harmless: the row claim lets
    // exactly one run.
    let docs_jobs: Vec<DocumentJob> = docs
        .iter()
        .map(|&document_id| DocumentJob { document_id })
        .collect();
    let mail_jobs: Vec<EmailJob> = mails
        .iter()
        .map(|&email_id| EmailJob { email_id })
        .collect();
    let hook_jobs: Vec<WebhookJob> = hooks
        .iter()
        .map(|&delivery_id| WebhookJob { delivery_id })
        .collect();
    app.queues
        .push(&docs_jobs, None)
        .await
        .map_err(anyhow::Error::from)
        .map_err(crate::outcome::JobError::Transient)?;
    app.queues
        .push(&mail_jobs, None)
        .await
        .map_err(anyhow::Error::from)
        .map_err(crate::outcome::JobError::Transient)?;
    app.queues
        .push(&hook_jobs, None)
        .await
        .map_err(anyhow::Error::from)
        .map_err(crate::outcome::JobError::Transient)?;
    let requeued = docs.len() + mails.len() + hooks.len();
    if requeued > 0 {
        metrics::counter!("jobs_sweeper_requeued_total").increment(requeued as u64);
        tracing::info!(
            documents = docs.len(),
            emails = mails.len(),
            deliveries = hooks.len(),
            "sweeper re-enqueued stalled rows"
        );
    }

    // Retention scans every finished set: every tenth tick is plenty.
    let tick_no = job.tick / cfg.sweep_interval_secs.max(1);
    if !tick_no.is_multiple_of(10) {
        return Ok(json!({"requeued": requeued}));
    }
    let mut purged_jobs = 0;
    for queue in Queue::ALL {
        let keys = app.queues.keys(queue);
        purged_jobs += crate::retention::purge(
            app,
            &keys.done(),
            &keys,
            Duration::from_secs(cfg.retention_done_secs),
        )
        .await?;
        purged_jobs += crate::retention::purge(
            app,
            &keys.dead(),
            &keys,
            Duration::from_secs(cfg.retention_dead_secs),
        )
        .await?;
    }
    let rows_before = now - chrono::Duration::seconds(cfg.retention_rows_secs as i64);
    let mut conn = app.db.get().await?;
    let purged_mails = email_outbox::purge_finished(&mut conn, rows_before).await?;
    let purged_deliveries = webhook_deliveries::purge_finished(&mut conn, rows_before).await?;
    // Sessions are refused once expired; keeping them the same retention
    // window leaves the audit trail of recent logins and bounds the table.
    let purged_sessions = sessions::purge_expired(&mut conn, rows_before).await?;
    Ok(json!({
        "requeued": requeued,
        "purgedJobs": purged_jobs,
        "purgedEmails": purged_mails,
        "purgedDeliveries": purged_deliveries,
        "purgedSessions": purged_sessions,
    }))
}
