//! `documents`: uploads and their processing state. The row is the source of
//! truth for the document-processing queue: a worker claims it with a lease,
//! and the sweeper re-enqueues rows left waiting or with an expired lease.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::documents;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg))]
pub struct Document {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub uploaded_by: Option<Uuid>,
    pub original_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub storage_key: String,
    pub status: String,
    pub progress: i16,
    pub total_pages: Option<i32>,
    pub processed_pages: i32,
    pub chunk_count: i32,
    pub error_message: Option<String>,
    pub attempts: i32,
    pub lease_until: Option<DateTime<Utc>>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = documents)]
pub struct NewDocument {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub uploaded_by: Option<Uuid>,
    pub original_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub storage_key: String,
}

pub mod status {
    pub const QUEUED: &str = "queued";
    pub const PROCESSING: &str = "processing";
    pub const COMPLETED: &str = "completed";
    pub const FAILED: &str = "failed";
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewDocument) -> QueryResult<Document> {
    diesel::insert_into(documents::table)
        .values(new)
        .returning(Document::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<Document> {
    documents::table
        .filter(documents::organization_id.eq(org).and(documents::id.eq(id)))
        .select(Document::as_select())
        .first(conn)
        .await
}

/// A document by id alone: for the worker, whose job carries only the id.
pub async fn find_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Document>> {
    documents::table
        .find(id)
        .select(Document::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<Document>> {
    let rows = documents::table
        .filter(documents::organization_id.eq(org))
        .order((documents::created_at.desc(), documents::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(Document::as_select())
        .load(conn)
        .await?;
    let total = count(conn, org).await?;
    Ok(Page::new(rows, total, page))
}

pub async fn count(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<i64> {
    documents::table
        .filter(documents::organization_id.eq(org))
        .count()
        .get_result(conn)
        .await
}

/// Documents the sweeper must (re-)enqueue: queued and untouched since
/// `queued_before`, or processing with a lease that ran out before `now`.
pub fn stalled_query(
    now: DateTime<Utc>,
    queued_before: DateTime<Utc>,
    limit: i64,
) -> documents::BoxedQuery<'static, Pg> {
    documents::table
        .filter(documents::status.eq_any([status::QUEUED, status::PROCESSING]))
        .filter(
            documents::status
                .eq(status::QUEUED)
                .and(documents::updated_at.lt(queued_before))
                .or(documents::status
                    .eq(status::PROCESSING)
                    .and(documents::lease_until.lt(now))),
        )
        .order(documents::updated_at.asc())
        .limit(limit)
        .into_boxed()
}

pub async fn stalled_ids(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    queued_before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    stalled_query(now, queued_before, limit)
        .select(documents::id)
        .load(conn)
        .await
}

/// Takes the row for `lease` if nobody holds a live lease on it and it is not
/// finished: the conditional UPDATE is the lock, so two workers never process
/// one document at once. `None` when another worker holds it or it is done.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Option<Document>> {
    diesel::update(
        documents::table.filter(documents::id.eq(id)).filter(
            documents::status
                .eq(status::QUEUED)
                .or(documents::status.eq(status::PROCESSING).and(
                    documents::lease_until
                        .is_null()
                        .or(documents::lease_until.lt(now)),
                )),
        ),
    )
    .set((
        documents::status.eq(status::PROCESSING),
        documents::lease_until.eq(Some(lease_until)),
        documents::attempts.eq(documents::attempts + 1),
        documents::error_message.eq(None::<String>),
    ))
    .returning(Document::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Progress while processing (0-100) and pages seen so far.
pub async fn set_progress(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    progress: i16,
    total_pages: Option<i32>,
    processed_pages: i32,
) -> QueryResult<()> {
    diesel::update(documents::table.find(id))
        .set((
            documents::progress.eq(progress.clamp(0, 100)),
            documents::total_pages.eq(total_pages),
            documents::processed_pages.eq(processed_pages),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn mark_completed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    chunk_count: i32,
) -> QueryResult<Document> {
    diesel::update(documents::table.find(id))
        .set((
            documents::status.eq(status::COMPLETED),
            documents::progress.eq(100),
            documents::chunk_count.eq(chunk_count),
            documents::lease_until.eq(None::<DateTime<Utc>>),
            documents::processed_at.eq(Some(Utc::now())),
            documents::error_message.eq(None::<String>),
        ))
        .returning(Document::as_returning())
        .get_result(conn)
        .await
}

pub async fn mark_failed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    error: &str,
) -> QueryResult<Document> {
    diesel::update(documents::table.find(id))
        .set((
            documents::status.eq(status::FAILED),
            documents::lease_until.eq(None::<DateTime<Utc>>),
            documents::error_message.eq(Some(error)),
        ))
        .returning(Document::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> QueryResult<Option<Document>> {
    diesel::delete(
        documents::table.filter(documents::organization_id.eq(org).and(documents::id.eq(id))),
    )
    .returning(Document::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Inside the transaction that finishes a document: locks the row and says
/// whether this worker still holds the lease it claimed (`lease_until` as
/// returned by `claim`), so a worker whose lease ran out and was taken over
/// never writes its result.
pub async fn lock_if_leased(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    lease_until: DateTime<Utc>,
) -> QueryResult<bool> {
    let found: Option<Uuid> = documents::table
        .filter(documents::id.eq(id))
        .filter(documents::status.eq(status::PROCESSING))
        .filter(documents::lease_until.eq(Some(lease_until)))
        .select(documents::id)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(found.is_some())
}

/// A failed attempt that will be retried at `retry_at`: the lease is held
/// until then, so neither `claim` nor the sweeper takes the row earlier.
pub async fn schedule_retry(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    error: &str,
    retry_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        documents::table
            .find(id)
            .filter(documents::status.eq(status::PROCESSING)),
    )
    .set((
        documents::lease_until.eq(Some(retry_at)),
        documents::error_message.eq(Some(error)),
    ))
    .execute(conn)
    .await
    .map(drop)
}

/// Operator retry of a failed document: queued again with a fresh attempt
/// budget. False when the row is not failed.
pub async fn reset_for_retry(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let n = diesel::update(
        documents::table
            .find(id)
            .filter(documents::status.eq(status::FAILED)),
    )
    .set((
        documents::status.eq(status::QUEUED),
        documents::progress.eq(0),
        documents::attempts.eq(0),
        documents::lease_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
