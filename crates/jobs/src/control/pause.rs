//! Pausing a queue: the console sets `{prefix}:{queue}:paused`, the engine's
//! fetch takes nothing while it exists. Jobs keep arriving and wait; resuming
//! deletes the key and wakes idle workers at once.

use crate::{JobsError, Queue, Queues};

/// Whether the job engine of this build checks the pause key before every
/// fetch. Workers announce it in their presence record, so the console can
/// warn when a process of an older build ignores a pause (rolling deploys).
/// This engine's fetch script (`backend/lua/fetch.lua`) reads it.
pub const ENGINE_HONOURS_PAUSE: bool = true;

impl Queues {
    /// Pauses `queue`; true when it was running until now.
    pub async fn pause(&self, queue: Queue) -> Result<bool, JobsError> {
        let key = self.keys(queue).paused();
        let now = crate::queues::now_secs();
        let set: bool = self
            .redis()
            .run(|mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(now)
                    .arg("NX")
                    .query_async::<Option<String>>(&mut *c)
                    .await
                    .map(|r| r.is_some())
            })
            .await?;
        Ok(set)
    }

    /// Resumes `queue` and wakes its idle workers; true when it was paused.
    pub async fn resume(&self, queue: Queue) -> Result<bool, JobsError> {
        let keys = self.keys(queue);
        let removed: i64 = self
            .redis()
            .run(|mut c| async move {
                let (removed,): (i64,) = redis::pipe()
                    .del(keys.paused())
                    .publish(keys.wake_channel(), 1)
                    .ignore()
                    .query_async(&mut *c)
                    .await?;
                Ok(removed)
            })
            .await?;
        Ok(removed > 0)
    }

    /// Since when (unix seconds) `queue` is paused, if it is.
    pub async fn paused_since(&self, queue: Queue) -> Result<Option<u64>, JobsError> {
        let key = self.keys(queue).paused();
        Ok(self
            .redis()
            .run(|mut c| async move { redis::cmd("GET").arg(key).query_async(&mut *c).await })
            .await?)
    }
}
