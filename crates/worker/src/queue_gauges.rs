//! Per-queue gauges in `/metrics`, refreshed on each scrape from Redis so
//! every worker process reports the whole deployment's queues (aggregate
//! with `max by (queue)`): waiting, running, scheduled, dead, the oldest
//! waiting job's age and whether the queue is paused.

use crate::app::App;

/// Sets the gauges of every queue; a Redis failure leaves the last values
/// and counts a failed refresh (the scrape itself still answers).
pub async fn refresh(app: &App) {
    match app.queues.stats().await {
        Ok(stats) => {
            for s in stats {
                let q = s.queue.as_str();
                metrics::gauge!("jobs_queue_waiting", "queue" => q).set(s.pending as f64);
                metrics::gauge!("jobs_queue_running", "queue" => q).set(s.running as f64);
                metrics::gauge!("jobs_queue_scheduled", "queue" => q).set(s.scheduled as f64);
                metrics::gauge!("jobs_queue_retrying", "queue" => q).set(s.failed as f64);
                metrics::gauge!("jobs_queue_dead", "queue" => q).set(s.dead as f64);
                metrics::gauge!("jobs_queue_oldest_waiting_seconds", "queue" => q)
                    .set(s.oldest_waiting_secs.unwrap_or(0) as f64);
                metrics::gauge!("jobs_queue_paused", "queue" => q).set(if s.paused {
                    1.0
                } else {
                    0.0
                });
            }
        }
        Err(error) => {
            metrics::counter!("jobs_queue_gauges_failed_total").increment(1);
            tracing::debug!(error = %error, "queue gauges not refreshed");
        }
    }
}
