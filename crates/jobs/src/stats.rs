//! Queue statistics for `GET /api/admin/queues`, read straight from the
//! queue keys (apalis' own stats script counts sets with ZCARD, so it is not
//! used).

use serde::Serialize;

use crate::queues::now_secs;
use crate::{JobsError, Queue, Queues};

/// Jobs of one queue by state at one instant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queue: Queue,
    /// Ready to run (waiting in the list, or due in the scheduled set).
    pub pending: u64,
    /// Fetched by a worker and not finished.
    pub running: u64,
    /// Finished successfully (until retention removes them).
    pub done: u64,
    /// Failed an attempt and waiting for their retry.
    pub failed: u64,
    /// Out of attempts (or failed for good): see the admin retry route.
    pub dead: u64,
    /// Worker processes registered on this queue.
    pub workers: u64,
}

impl Queues {
    /// Statistics of every queue.
    pub async fn stats(&self) -> Result<Vec<QueueStats>, JobsError> {
        let mut out = Vec::with_capacity(Queue::ALL.len());
        for queue in Queue::ALL {
            out.push(self.queue_stats(queue).await?);
        }
        Ok(out)
    }

    pub async fn queue_stats(&self, queue: Queue) -> Result<QueueStats, JobsError> {
        let keys = self.keys(queue);
        let now = now_secs();
        let stats = self
            .redis()
            .run(|mut conn| async move {
                let (active, due, later, done, dead, workers): (
                    u64,
                    u64,
                    u64,
                    u64,
                    u64,
                    Vec<String>,
                ) = redis::pipe()
                    .llen(keys.active())
                    .zcount(keys.scheduled(), "-inf", now)
                    .zcount(keys.scheduled(), format!("({now}"), "+inf")
                    .scard(keys.done())
                    .scard(keys.dead())
                    .zrange(keys.workers(), 0, -1)
                    .query_async(&mut *conn)
                    .await?;
                let mut running = 0u64;
                if !workers.is_empty() {
                    let mut pipe = redis::pipe();
                    for worker in &workers {
                        pipe.scard(keys.inflight(worker));
                    }
                    let counts: Vec<u64> = pipe.query_async(&mut *conn).await?;
                    running = counts.iter().sum();
                }
                Ok(QueueStats {
                    queue,
                    pending: active + due,
                    running,
                    done,
                    failed: later,
                    dead,
                    workers: workers.len() as u64,
                })
            })
            .await?;
        Ok(stats)
    }
}
