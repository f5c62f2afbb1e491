//! Processed and failed jobs per minute: the engine's acknowledgement adds
//! to `{prefix}:{queue}:minute:{unix_minute}` (fields `done`, `failed`) with
//! [`record_outcome`]; the console reads the last hour with
//! `Queues::throughput`.

use serde::Serialize;

use super::keys::{MINUTE_TTL_SECS, minute_of};
use crate::{JobsError, Queue, QueueKeys, Queues};

/// Acknowledgements of one queue during one minute.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MinuteCount {
    /// `unix seconds / 60`.
    pub minute: u64,
    pub done: u64,
    pub failed: u64,
}

/// Adds one acknowledgement (`done`, else `failed`) at `now_secs` to `pipe`:
/// the engine calls this inside the pipeline or script of its acknowledgement,
/// so the counter and the job's state change together.
pub fn record_outcome(pipe: &mut redis::Pipeline, keys: &QueueKeys, now_secs: u64, done: bool) {
    let key = keys.minute(minute_of(now_secs));
    let field = if done { "done" } else { "failed" };
    pipe.hincr(&key, field, 1)
        .ignore()
        .expire(&key, MINUTE_TTL_SECS as i64)
        .ignore();
}

impl Queues {
    /// The last `minutes` minutes of `queue` up to the one holding `now_secs`,
    /// oldest first; minutes without acknowledgements count zero.
    pub async fn throughput(
        &self,
        queue: Queue,
        now_secs: u64,
        minutes: u64,
    ) -> Result<Vec<MinuteCount>, JobsError> {
        let keys = self.keys(queue);
        let last = minute_of(now_secs);
        let first = last.saturating_sub(minutes.saturating_sub(1));
        let counts: Vec<(Option<u64>, Option<u64>)> = self
            .redis()
            .run(|mut c| async move {
                let mut pipe = redis::pipe();
                for minute in first..=last {
                    pipe.cmd("HMGET")
                        .arg(keys.minute(minute))
                        .arg("done")
                        .arg("failed");
                }
                pipe.query_async(&mut *c).await
            })
            .await?;
        Ok((first..=last)
            .zip(counts)
            .map(|(minute, (done, failed))| MinuteCount {
                minute,
                done: done.unwrap_or(0),
                failed: failed.unwrap_or(0),
            })
            .collect())
    }

    /// Adds one acknowledgement now (for engines without a pipeline at hand).
    pub async fn record_outcome(&self, queue: Queue, done: bool) -> Result<(), JobsError> {
        let keys = self.keys(queue);
        let now = crate::queues::now_secs();
        self.redis()
            .run(|mut c| async move {
                let mut pipe = redis::pipe();
                record_outcome(&mut pipe, &keys, now, done);
                pipe.query_async::<()>(&mut *c).await
            })
            .await?;
        Ok(())
    }
}
