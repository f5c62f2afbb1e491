//! One job looked up by id wherever it is: waiting, scheduled, running on
//! some worker, done or dead.

use diesel_async::AsyncPgConnection;

use super::inspect::{JobState, JobView, attach_rows, view};
use crate::{JobsError, Queue, Queues};

impl Queues {
    /// `id` of `queue` wherever it is; None when the queue holds no such job.
    pub async fn find_job(
        &self,
        conn: &mut AsyncPgConnection,
        queue: Queue,
        id: &str,
    ) -> Result<Option<JobView>, JobsError> {
        let keys = self.keys(queue);
        let job = id.to_owned();
        let (dead, scheduled, done, waiting, workers): (
            bool,
            Option<u64>,
            bool,
            Option<i64>,
            Vec<String>,
        ) = self
            .redis()
            .run(|mut c| async move {
                redis::pipe()
                    .sismember(keys.dead(), &job)
                    .zscore(keys.scheduled(), &job)
                    .sismember(keys.done(), &job)
                    .cmd("LPOS")
                    .arg(keys.active())
                    .arg(&job)
                    .zrange(keys.workers(), 0, -1)
                    .query_async(&mut *c)
                    .await
            })
            .await?;
        let mut raw = self.raw_jobs(queue, &[id.to_owned()]).await?;
        let Some(raw) = raw
            .pop()
            .filter(|(meta, data)| !meta.is_empty() || data.is_some())
        else {
            return Ok(None);
        };
        let state = if dead {
            JobState::Dead
        } else if done {
            JobState::Done
        } else if waiting.is_some() {
            JobState::Waiting
        } else if scheduled.is_some() {
            JobState::Scheduled
        } else if self.is_running(queue, id, workers).await? {
            JobState::Running
        } else {
            JobState::Unknown
        };
        let mut jobs = vec![view(queue, id.to_owned(), state, scheduled, raw)];
        attach_rows(conn, queue, &mut jobs).await?;
        Ok(jobs.pop())
    }

    async fn is_running(
        &self,
        queue: Queue,
        id: &str,
        workers: Vec<String>,
    ) -> Result<bool, JobsError> {
        if workers.is_empty() {
            return Ok(false);
        }
        let keys = self.keys(queue);
        let job = id.to_owned();
        let found: Vec<bool> = self
            .redis()
            .run(|mut c| async move {
                let mut pipe = redis::pipe();
                for worker in &workers {
                    pipe.sismember(keys.inflight(worker), &job);
                }
                pipe.query_async(&mut *c).await
            })
            .await?;
        Ok(found.into_iter().any(|f| f))
    }
}
