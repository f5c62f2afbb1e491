//! Operator actions: retry one dead job (by its job id, or by the id of the
//! row it works on) and retry every dead job of a queue. The row is reset
//! first (fresh attempt budget), then the job moves from the dead set back
//! to the ready list, so a job never runs against a row still marked failed.

use diesel_async::AsyncPgConnection;
use serde::Serialize;
use storage::models::{documents, email_outbox, webhook_deliveries};
use uuid::Uuid;

use crate::payload::{DocumentJob, EmailJob, WebhookJob, row_id};
use crate::{JobsError, Queue, Queues};

/// Moves a job from the dead set back to the ready list with its attempt
/// count reset; 0 when it was not dead.
const REVIVE: &str = r"
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[3], 'status', 'Pending', 'attempts', 0)
redis.call('HDEL', KEYS[3], 'done_at', 'result')
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('PUBLISH', KEYS[4], 1)
return 1
";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Retried {
    /// The job that will run: the revived dead job, or a new one.
    pub job_id: String,
    /// The row reset for the retry, if the queue has rows.
    pub row_id: Option<Uuid>,
}

impl Queues {
    /// Retries `id` of `queue`: a dead job id, or (row-backed queues) the id
    /// of a failed document, mail or dead delivery.
    pub async fn retry(
        &self,
        conn: &mut AsyncPgConnection,
        queue: Queue,
        id: &str,
    ) -> Result<Retried, JobsError> {
        if let Ok(row) = Uuid::parse_str(id) {
            return self.retry_row(conn, queue, row).await;
        }
        let keys = self.keys(queue);
        let (data_key, job_id) = (keys.data(), id.to_owned());
        let payload: Option<Vec<u8>> = self
            .redis()
            .run(|mut c| async move {
                redis::cmd("HGET")
                    .arg(data_key)
                    .arg(job_id)
                    .query_async(&mut *c)
                    .await
            })
            .await?;
        let payload = payload.ok_or_else(|| JobsError::NotFound(id.to_owned()))?;
        let row = row_id(queue, &payload);
        if let Some(row) = row {
            reset_row(conn, queue, row).await?;
        }
        let job_id = id.to_owned();
        let revived: i64 = self
            .redis()
            .run(|mut c| async move {
                redis::Script::new(REVIVE)
                    .key(keys.dead())
                    .key(keys.active())
                    .key(keys.meta(&job_id))
                    .key(keys.wake_channel())
                    .arg(&job_id)
                    .invoke_async(&mut *c)
                    .await
            })
            .await?;
        if revived == 0 {
            return Err(JobsError::NotFound(id.to_owned()));
        }
        metrics::counter!("jobs_operator_retried_total", "queue" => queue.as_str()).increment(1);
        tracing::info!(queue = %queue, job.id = %id, "dead job retried by operator");
        Ok(Retried {
            job_id: id.to_owned(),
            row_id: row,
        })
    }

    /// Retries every dead job of `queue`; returns how many were revived.
    pub async fn retry_all_dead(
        &self,
        conn: &mut AsyncPgConnection,
        queue: Queue,
    ) -> Result<usize, JobsError> {
        let dead_key = self.keys(queue).dead();
        let dead: Vec<String> = self
            .redis()
            .run(|mut c| async move {
                redis::cmd("SMEMBERS")
                    .arg(dead_key)
                    .query_async(&mut *c)
                    .await
            })
            .await?;
        let mut revived = 0;
        for id in dead {
            match self.retry(conn, queue, &id).await {
                Ok(_) => revived += 1,
                Err(JobsError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(revived)
    }

    /// Resets a failed row and enqueues a new job for it.
    async fn retry_row(
        &self,
        conn: &mut AsyncPgConnection,
        queue: Queue,
        row: Uuid,
    ) -> Result<Retried, JobsError> {
        if !reset_row(conn, queue, row).await? {
            return Err(JobsError::NotFound(row.to_string()));
        }
        let ids = match queue {
            Queue::DocumentProcessing => {
                self.push(&[DocumentJob { document_id: row }], None).await?
            }
            Queue::Email => self.push(&[EmailJob { email_id: row }], None).await?,
            Queue::WebhookDelivery => self.push(&[WebhookJob { delivery_id: row }], None).await?,
            Queue::AnalyticsAggregation | Queue::Sweeper => {
                return Err(JobsError::NotFound(row.to_string()));
            }
        };
        let job_id = ids.into_iter().next().unwrap_or_default();
        tracing::info!(queue = %queue, row.id = %row, job.id = %job_id, "failed row retried by operator");
        Ok(Retried {
            job_id,
            row_id: Some(row),
        })
    }
}

/// Gives a failed row a fresh attempt budget; false when it is not failed.
async fn reset_row(
    conn: &mut AsyncPgConnection,
    queue: Queue,
    row: Uuid,
) -> Result<bool, JobsError> {
    Ok(match queue {
        Queue::DocumentProcessing => documents::reset_for_retry(conn, row).await?,
        Queue::Email => email_outbox::reset_for_retry(conn, row).await?,
        Queue::WebhookDelivery => webhook_deliveries::reset_for_retry(conn, row).await?,
        Queue::AnalyticsAggregation | Queue::Sweeper => false,
    })
}
