//! The worker registry: every worker process writes its `WorkerPresence`
//! every few seconds under a TTL (`ConsoleKeys::presence`) and its last
//! heartbeat in an index; the console lists the live ones and, for a while,
//! the ones whose record expired (died, or stopped) with their last facts.

use serde::{Deserialize, Serialize};

use super::keys::ConsoleKeys;
use crate::{JobsError, Queue, Queues};

/// How long a process that stopped writing stays listed as "died recently".
pub const DIED_RECENTLY_SECS: u64 = 15 * 60;

/// One queue a worker process serves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkerQueue {
    pub queue: Queue,
    pub concurrency: usize,
    /// Jobs of this queue the process runs now.
    pub running: u64,
}

/// What a worker process says about itself on each heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkerPresence {
    pub name: String,
    pub host: String,
    pub pid: u32,
    pub version: String,
    pub started_at: u64,
    /// Unix seconds of this record.
    pub heartbeat: u64,
    pub queues: Vec<WorkerQueue>,
    /// Whether this build's engine stops fetching from a paused queue.
    pub honours_pause: bool,
    pub draining: bool,
}

impl WorkerPresence {
    pub fn running(&self) -> u64 {
        self.queues.iter().map(|q| q.running).sum()
    }
}

/// The registry at one instant.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Workers {
    /// Newest heartbeat first.
    pub live: Vec<WorkerPresence>,
    /// Stopped writing within [`DIED_RECENTLY_SECS`]: their last record
    /// (kept beside the index), newest first.
    pub died_recently: Vec<WorkerPresence>,
}

impl Queues {
    fn console_keys(&self) -> ConsoleKeys {
        ConsoleKeys::new(self.redis().prefix())
    }

    /// Writes `presence`, live for `ttl_secs`; the last record stays readable
    /// as the "last words" of the process for [`DIED_RECENTLY_SECS`].
    pub async fn announce(
        &self,
        presence: &WorkerPresence,
        ttl_secs: u64,
    ) -> Result<(), JobsError> {
        let keys = self.console_keys();
        let json = serde_json::to_string(presence)?;
        let (name, beat) = (presence.name.clone(), presence.heartbeat);
        self.redis()
            .run(|mut c| async move {
                redis::pipe()
                    .set_ex(keys.presence(&name), &json, ttl_secs)
                    .ignore()
                    .set_ex(keys.presence_last(&name), &json, DIED_RECENTLY_SECS)
                    .ignore()
                    .zadd(keys.presence_index(), &name, beat)
                    .ignore()
                    .zrembyscore(
                        keys.presence_index(),
                        "-inf",
                        beat.saturating_sub(DIED_RECENTLY_SECS),
                    )
                    .ignore()
                    .query_async::<()>(&mut *c)
                    .await
            })
            .await?;
        Ok(())
    }

    /// Removes a process that stopped cleanly from the live list at once.
    pub async fn retire(&self, name: &str) -> Result<(), JobsError> {
        let keys = self.console_keys();
        let key = keys.presence(name);
        self.redis()
            .run(|mut c| async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut *c).await })
            .await?;
        Ok(())
    }

    /// Live workers and the ones that died recently.
    pub async fn workers(&self) -> Result<Workers, JobsError> {
        let keys = self.console_keys();
        let now = crate::queues::now_secs();
        let (live, last): (Vec<Option<String>>, Vec<Option<String>>) = self
            .redis()
            .run(|mut c| async move {
                let names: Vec<String> = redis::cmd("ZRANGEBYSCORE")
                    .arg(keys.presence_index())
                    .arg(now.saturating_sub(DIED_RECENTLY_SECS))
                    .arg("+inf")
                    .query_async(&mut *c)
                    .await?;
                if names.is_empty() {
                    return Ok((Vec::new(), Vec::new()));
                }
                let live_keys: Vec<String> = names.iter().map(|n| keys.presence(n)).collect();
                let last_keys: Vec<String> = names.iter().map(|n| keys.presence_last(n)).collect();
                redis::pipe()
                    .mget(live_keys)
                    .mget(last_keys)
                    .query_async(&mut *c)
                    .await
            })
            .await?;
        let parse = |json: &Option<String>| {
            json.as_deref()
                .and_then(|j| serde_json::from_str::<WorkerPresence>(j).ok())
        };
        let mut workers = Workers::default();
        for (live, last) in live.iter().zip(&last) {
            match (parse(live), parse(last)) {
                (Some(p), _) => workers.live.push(p),
                (None, Some(p)) => workers.died_recently.push(p),
                (None, None) => {}
            }
        }
        workers
            .live
            .sort_by(|a, b| b.heartbeat.cmp(&a.heartbeat).then(a.name.cmp(&b.name)));
        workers
            .died_recently
            .sort_by_key(|w| std::cmp::Reverse(w.heartbeat));
        Ok(workers)
    }
}
