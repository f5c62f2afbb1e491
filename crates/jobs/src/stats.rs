//! Queue statistics for the console, `GET /api/admin/queues` and the
//! worker's per-queue gauges, read straight from the queue keys in one
//! script per queue (apalis' own stats script counts sets with ZCARD, so it
//! is not used).

use serde::Serialize;

use crate::queues::now_secs;
use crate::{JobsError, Queue, Queues};

/// Scheduled jobs whose attempt count is read to tell retries from delayed
/// jobs; beyond it the split is of the soonest ones only (keeps the script
/// short when a broken dependency fills the retry set).
const RETRY_SCAN_CAP: u64 = 5_000;

/// Jobs of one queue by state at one instant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub queue: Queue,
    /// Waiting to run: in the ready list, or due in the scheduled set.
    pub pending: u64,
    /// Fetched by a worker and not finished.
    pub running: u64,
    /// Not due yet: retries and delayed first runs.
    pub scheduled: u64,
    /// Of `scheduled`, the ones that failed an attempt and wait for their retry.
    pub failed: u64,
    /// Finished successfully (until retention removes them).
    pub done: u64,
    /// Out of attempts (or failed for good): see the admin retry route.
    pub dead: u64,
    /// Worker processes registered on this queue.
    pub workers: u64,
    /// Seconds the oldest waiting job has waited (since it was created, or
    /// since it came due); None when nothing waits.
    pub oldest_waiting_secs: Option<u64>,
    /// The queue is paused: workers fetch nothing from it.
    pub paused: bool,
}

/// Counts of one queue; KEYS: active, scheduled, meta prefix, done, dead,
/// paused. ARGV: now, scan cap.
const COUNTS: &str = r"
local now = tonumber(ARGV[1])
local waiting = redis.call('LLEN', KEYS[1])
local due = redis.call('ZCOUNT', KEYS[2], '-inf', now)
local later = redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf')
local retries = 0
if later > 0 then
  local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
  for _, id in ipairs(ids) do
    local attempts = tonumber(redis.call('HGET', KEYS[3] .. ':' .. id, 'attempts') or '0') or 0
    if attempts > 0 then retries = retries + 1 end
  end
end
local head = redis.call('LINDEX', KEYS[1], 0) or ''
local first = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
return {waiting, due, later, retries, redis.call('SCARD', KEYS[4]), redis.call('SCARD', KEYS[5]),
        head, first[2] or '', redis.call('EXISTS', KEYS[6])}
";

type Counts = (u64, u64, u64, u64, u64, u64, String, String, u64);

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
        let (counts, running, workers): (Counts, u64, u64) = self
            .redis()
            .run(|mut conn| async move {
                let counts: Counts = redis::Script::new(COUNTS)
                    .key(keys.active())
                    .key(keys.scheduled())
                    .key(keys.meta_prefix())
                    .key(keys.done())
                    .key(keys.dead())
                    .key(keys.paused())
                    .arg(now)
                    .arg(RETRY_SCAN_CAP)
                    .invoke_async(&mut *conn)
                    .await?;
                let workers: Vec<String> = redis::cmd("ZRANGE")
                    .arg(keys.workers())
                    .arg(0)
                    .arg(-1)
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
                Ok((counts, running, workers.len() as u64))
            })
            .await?;
        let (waiting, due, later, retries, done, dead, head, first_due, paused) = counts;
        Ok(QueueStats {
            queue,
            pending: waiting + due,
            running,
            scheduled: later,
            failed: retries,
            done,
            dead,
            workers,
            oldest_waiting_secs: oldest_waiting(now, &head, &first_due),
            paused: paused > 0,
        })
    }
}

/// Age of the older of the list's head (its ULID holds its creation time)
/// and the earliest due scheduled job.
fn oldest_waiting(now: u64, head: &str, first_due: &str) -> Option<u64> {
    let head = ulid::Ulid::from_string(head)
        .ok()
        .map(|u| u.timestamp_ms() / 1000);
    let due = first_due.parse::<f64>().ok().map(|s| s as u64);
    let since = match (head, due) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }?;
    Some(now.saturating_sub(since))
}

#[cfg(test)]
mod tests {
    use super::oldest_waiting;

    #[test]
    fn the_oldest_of_head_and_due_counts() {
        let id = ulid::Ulid::from_parts(1_000_000, 7).to_string();
        assert_eq!(oldest_waiting(1_100, &id, ""), Some(100));
        assert_eq!(oldest_waiting(1_100, &id, "900"), Some(200));
        assert_eq!(oldest_waiting(1_100, "", "1050"), Some(50));
        assert_eq!(oldest_waiting(1_100, "", ""), None);
    }
}
