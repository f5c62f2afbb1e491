//! Retention of finished job state in Redis: ids in `{queue}:done` or
//! `{queue}:dead` whose `done_at` is older than the retention lose their
//! payload (`{queue}:data`), their `{queue}:meta:{id}` hash and their set
//! membership. Scans with SSCAN, so a large set never blocks Redis.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jobs::QueueKeys;

use crate::app::App;
use crate::outcome::JobError;

/// Removes finished jobs of `set` older than `keep`; returns how many.
pub async fn purge(
    app: &App,
    set: &str,
    keys: &QueueKeys,
    keep: Duration,
) -> Result<usize, JobError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let cutoff = now.saturating_sub(keep.as_secs());
    let mut conn = app.job_conn().await;
    let mut cursor: u64 = 0;
    let mut purged = 0;
    loop {
        let (next, ids): (u64, Vec<String>) = redis::cmd("SSCAN")
            .arg(set)
            .arg(cursor)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await
            .map_err(|e| JobError::Transient(e.into()))?;
        if !ids.is_empty() {
            let mut pipe = redis::pipe();
            for id in &ids {
                pipe.hget(keys.meta(id), "done_at");
            }
            let done_at: Vec<Option<u64>> = pipe
                .query_async(&mut conn)
                .await
                .map_err(|e| JobError::Transient(e.into()))?;
            let old: Vec<&String> = ids
                .iter()
                .zip(done_at)
                .filter(|(_, at)| at.is_some_and(|at| at <= cutoff))
                .map(|(id, _)| id)
                .collect();
            if !old.is_empty() {
                let mut pipe = redis::pipe();
                for id in &old {
                    pipe.srem(set, *id)
                        .ignore()
                        .hdel(keys.data(), *id)
                        .ignore()
                        .del(keys.meta(id))
                        .ignore();
                }
                let () = pipe
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| JobError::Transient(e.into()))?;
                purged += old.len();
            }
        }
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    Ok(purged)
}
