//! Discarding a dead job: its id leaves the dead set and its payload and
//! meta are deleted. Only dead jobs: their row already says failed, so the
//! sweeper leaves it alone; a discarded retry would come back with the
//! sweeper's next pass over its stalled row.

use crate::{JobsError, Queue, Queues};

const DISCARD: &str = r"
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return 1
";

impl Queues {
    /// Discards dead job `id`; `NotFound` when it is not dead.
    pub async fn discard(&self, queue: Queue, id: &str) -> Result<(), JobsError> {
        let keys = self.keys(queue);
        let job = id.to_owned();
        let removed: i64 = self
            .redis()
            .run(|mut c| async move {
                redis::Script::new(DISCARD)
                    .key(keys.dead())
                    .key(keys.data())
                    .key(keys.meta(&job))
                    .arg(&job)
                    .invoke_async(&mut *c)
                    .await
            })
            .await?;
        if removed == 0 {
            return Err(JobsError::NotFound(id.to_owned()));
        }
        tracing::info!(queue = %queue, job.id = %id, "dead job discarded by operator");
        Ok(())
    }
}
