//! Listing jobs for the console: dead jobs newest failure first, scheduled
//! jobs (retries and delayed) by next attempt, one page at a time, each with
//! its attempts, last error, timestamps and the row it works on (one job by
//! id: `lookup`).

use std::collections::HashMap;

use diesel_async::AsyncPgConnection;
use serde::Serialize;

use super::rows::{self, RowInfo};
use crate::payload::row_id;
use crate::{JobsError, Queue, Queues};

/// Which jobs of a queue to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobSet {
    /// Out of attempts or failed for good.
    Dead,
    /// Waiting for a retry (attempts > 0) or a delayed first run.
    Scheduled,
}

/// Where a job is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    Waiting,
    Scheduled,
    Running,
    Done,
    Dead,
    /// Its data is there but it is in no set (being moved, or an orphan).
    Unknown,
}

/// One job as the console shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: String,
    pub queue: Queue,
    pub state: JobState,
    /// The engine's status field (Pending, Running, Done, Failed, Killed).
    pub status: Option<String>,
    pub attempts: u32,
    pub error: Option<String>,
    /// Unix milliseconds the job was created (from its ULID).
    pub created_ms: Option<u64>,
    /// Unix seconds of its last acknowledgement (failure or success).
    pub finished_at: Option<u64>,
    /// Unix seconds of its next attempt (scheduled jobs).
    pub next_attempt_at: Option<u64>,
    pub row: Option<RowInfo>,
}

/// One page of a listing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobList {
    pub set: JobSet,
    pub total: u64,
    pub offset: u64,
    pub jobs: Vec<JobView>,
}

/// The error text of an acknowledgement: apalis stores `{"Err": "..."}`;
/// anything else written there is shown as it is.
pub fn error_of(result: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(result) {
        Ok(serde_json::Value::Object(map)) => match map.get("Err") {
            Some(serde_json::Value::String(e)) => Some(e.clone()),
            Some(other) => Some(other.to_string()),
            None => None,
        },
        Ok(serde_json::Value::String(e)) => Some(e),
        Ok(_) => None,
        Err(_) if result.is_empty() => None,
        Err(_) => Some(result.to_owned()),
    }
}

pub(super) type Raw = (HashMap<String, String>, Option<Vec<u8>>);

impl Queues {
    /// One page of `set` of `queue`.
    pub async fn list_jobs(
        &self,
        conn: &mut AsyncPgConnection,
        queue: Queue,
        set: JobSet,
        offset: u64,
        limit: u64,
    ) -> Result<JobList, JobsError> {
        let keys = self.keys(queue);
        let now = crate::queues::now_secs();
        let (total, page): (u64, Vec<(String, Option<u64>)>) = self
            .redis()
            .run(|mut c| async move {
                match set {
                    JobSet::Dead => {
                        // Newest failure first without reading every member's
                        // meta into the process: Redis sorts by the hash field.
                        let (total, ids): (u64, Vec<String>) = redis::pipe()
                            .scard(keys.dead())
                            .cmd("SORT")
                            .arg(keys.dead())
                            .arg("BY")
                            .arg(format!("{}:*->done_at", keys.meta_prefix()))
                            .arg("DESC")
                            .arg("LIMIT")
                            .arg(offset)
                            .arg(limit)
                            .query_async(&mut *c)
                            .await?;
                        Ok((total, ids.into_iter().map(|id| (id, None)).collect()))
                    }
                    JobSet::Scheduled => {
                        let (total, ids): (u64, Vec<(String, u64)>) = redis::pipe()
                            .zcount(keys.scheduled(), format!("({now}"), "+inf")
                            .cmd("ZRANGEBYSCORE")
                            .arg(keys.scheduled())
                            .arg(format!("({now}"))
                            .arg("+inf")
                            .arg("WITHSCORES")
                            .arg("LIMIT")
                            .arg(offset)
                            .arg(limit)
                            .query_async(&mut *c)
                            .await?;
                        Ok((
                            total,
                            ids.into_iter().map(|(id, at)| (id, Some(at))).collect(),
                        ))
                    }
                }
            })
            .await?;
        let ids: Vec<String> = page.iter().map(|(id, _)| id.clone()).collect();
        let raw = self.raw_jobs(queue, &ids).await?;
        let state = match set {
            JobSet::Dead => JobState::Dead,
            JobSet::Scheduled => JobState::Scheduled,
        };
        let mut jobs: Vec<JobView> = page
            .into_iter()
            .zip(raw)
            .map(|((id, next), raw)| view(queue, id, state, next, raw))
            .collect();
        attach_rows(conn, queue, &mut jobs).await?;
        Ok(JobList {
            set,
            total,
            offset,
            jobs,
        })
    }

    /// Meta hash and payload of each of `ids`, in order.
    pub(super) async fn raw_jobs(
        &self,
        queue: Queue,
        ids: &[String],
    ) -> Result<Vec<Raw>, JobsError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys = self.keys(queue);
        let ids = ids.to_vec();
        Ok(self
            .redis()
            .run(|mut c| async move {
                let mut pipe = redis::pipe();
                for id in &ids {
                    pipe.hgetall(keys.meta(id)).hget(keys.data(), id);
                }
                let flat: Vec<redis::Value> = pipe.query_async(&mut *c).await?;
                let mut out = Vec::with_capacity(ids.len());
                let mut it = flat.into_iter();
                while let (Some(meta), Some(data)) = (it.next(), it.next()) {
                    out.push((
                        redis::from_redis_value(meta)?,
                        redis::from_redis_value(data)?,
                    ));
                }
                Ok(out)
            })
            .await?)
    }
}

pub(super) fn view(
    queue: Queue,
    id: String,
    state: JobState,
    next: Option<u64>,
    raw: Raw,
) -> JobView {
    let (meta, data) = raw;
    let num = |field: &str| meta.get(field).and_then(|v| v.parse::<u64>().ok());
    let row = data.as_deref().and_then(|d| row_id(queue, d));
    JobView {
        created_ms: ulid::Ulid::from_string(&id).ok().map(|u| u.timestamp_ms()),
        id,
        queue,
        state,
        status: meta.get("status").cloned(),
        attempts: num("attempts").unwrap_or(0) as u32,
        error: meta.get("result").and_then(|r| error_of(r)),
        finished_at: num("done_at"),
        next_attempt_at: next,
        row: row.map(|id| RowInfo {
            kind: rows::kind_of(queue),
            id,
            organization_id: None,
            label: String::new(),
            status: "missing".into(),
        }),
    }
}

/// Replaces each job's bare row id with the row's facts (one query per page).
pub(super) async fn attach_rows(
    conn: &mut AsyncPgConnection,
    queue: Queue,
    jobs: &mut [JobView],
) -> Result<(), JobsError> {
    let ids: Vec<uuid::Uuid> = jobs
        .iter()
        .filter_map(|j| j.row.as_ref().map(|r| r.id))
        .collect();
    let found = rows::lookup(conn, queue, &ids).await?;
    for job in jobs {
        if let Some(row) = &mut job.row
            && let Some(info) = found.get(&row.id)
        {
            *row = info.clone();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::error_of;

    #[test]
    fn errors_are_read_from_the_acknowledgement() {
        assert_eq!(
            error_of(r#"{"Err":"smtp said no"}"#).as_deref(),
            Some("smtp said no")
        );
        assert_eq!(error_of(r#"{"Ok":{"sent":true}}"#), None);
        assert_eq!(error_of("plain text").as_deref(), Some("plain text"));
        assert_eq!(error_of(""), None);
    }
}
