//! `webhook_deliveries`: one row per event sent to one endpoint, with every
//! attempt's outcome. The row is the source of truth for the webhook queue.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::webhook_deliveries as deliveries;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = deliveries, check_for_backend(diesel::pg::Pg))]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub payload: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewWebhookDelivery {
    pub organization_id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub payload: serde_json::Value,
}

pub mod status {
    pub const PENDING: &str = "pending";
    pub const DELIVERING: &str = "delivering";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
    pub const DEAD: &str = "dead";
    /// Waiting for its disabled endpoint to be enabled again.
    pub const HELD: &str = "held";
}

pub async fn insert_batch(
    conn: &mut AsyncPgConnection,
    new: &[NewWebhookDelivery],
) -> QueryResult<Vec<WebhookDelivery>> {
    diesel::insert_into(deliveries::table)
        .values(new)
        .returning(WebhookDelivery::as_returning())
        .get_results(conn)
        .await
}

pub async fn find_by_id(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<WebhookDelivery>> {
    deliveries::table
        .find(id)
        .select(WebhookDelivery::as_select())
        .first(conn)
        .await
        .optional()
}

/// Deliveries of one endpoint newest first; the caller has checked that the
/// endpoint belongs to `org`, and the filter on `org` keeps that true.
pub async fn list_for_webhook(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    webhook_id: Uuid,
    page: PageRequest,
) -> QueryResult<Page<WebhookDelivery>> {
    let base = deliveries::table
        .filter(deliveries::webhook_id.eq(webhook_id))
        .filter(deliveries::organization_id.eq(org));
    let rows = base
        .order((deliveries::created_at.desc(), deliveries::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(WebhookDelivery::as_select())
        .load(conn)
        .await?;
    let total = base.count().get_result(conn).await?;
    Ok(Page::new(rows, total, page))
}

/// Deliveries the sweeper must (re-)enqueue at `now`: pending or failed and
/// due, or delivering with an expired lease.
pub fn due_query(now: DateTime<Utc>, limit: i64) -> deliveries::BoxedQuery<'static, Pg> {
    deliveries::table
        .filter(deliveries::status.eq_any([status::PENDING, status::DELIVERING, status::FAILED]))
        .filter(deliveries::next_attempt_at.le(now))
        .filter(
            deliveries::lease_until
                .is_null()
                .or(deliveries::lease_until.lt(now)),
        )
        .order(deliveries::next_attempt_at.asc())
        .limit(limit)
        .into_boxed()
}

pub async fn due_ids(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    due_query(now, limit)
        .select(deliveries::id)
        .load(conn)
        .await
}

/// Takes a due delivery with a lease; `None` when another worker holds it,
/// it is not due yet, or it is finished.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Option<WebhookDelivery>> {
    diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::status.eq_any([
                status::PENDING,
                status::DELIVERING,
                status::FAILED,
            ]))
            .filter(
                deliveries::lease_until
                    .is_null()
                    .or(deliveries::lease_until.lt(now)),
            ),
    )
    .set((
        deliveries::status.eq(status::DELIVERING),
        deliveries::lease_until.eq(Some(lease_until)),
        deliveries::attempts.eq(deliveries::attempts + 1),
    ))
    .returning(WebhookDelivery::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// `claim`, and only once the delivery is due: a duplicate job arriving
/// before a scheduled retry does not deliver early.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Option<WebhookDelivery>> {
    diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::status.eq_any([
                status::PENDING,
                status::DELIVERING,
                status::FAILED,
            ]))
            .filter(deliveries::next_attempt_at.le(now))
            .filter(
                deliveries::lease_until
                    .is_null()
                    .or(deliveries::lease_until.lt(now)),
            ),
    )
    .set((
        deliveries::status.eq(status::DELIVERING),
        deliveries::lease_until.eq(Some(lease_until)),
        deliveries::attempts.eq(deliveries::attempts + 1),
    ))
    .returning(WebhookDelivery::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn mark_succeeded(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    response_status: i32,
) -> QueryResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::status.eq(status::SUCCEEDED),
            deliveries::response_status.eq(Some(response_status)),
            deliveries::last_error.eq(None::<String>),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
            deliveries::delivered_at.eq(Some(Utc::now())),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A failed attempt, retried at `next_attempt_at`.
pub async fn mark_attempt_failed(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    response_status: Option<i32>,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::status.eq(status::FAILED),
            deliveries::response_status.eq(response_status),
            deliveries::last_error.eq(Some(error)),
            deliveries::next_attempt_at.eq(next_attempt_at),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Out of attempts, refused, or the endpoint is gone.
pub async fn mark_dead(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    response_status: Option<i32>,
    error: &str,
) -> QueryResult<()> {
    set_stopped(conn, id, status::DEAD, response_status, error).await
}

/// The endpoint is disabled: the delivery waits, without spending
/// attempts, until the endpoint is enabled again.
pub async fn hold(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    response_status: Option<i32>,
    error: &str,
) -> QueryResult<()> {
    set_stopped(conn, id, status::HELD, response_status, error).await
}

/// Leaves the delivery in `status` (dead or held) with its last answer and
/// error, and no lease.
async fn set_stopped(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: &str,
    response_status: Option<i32>,
    error: &str,
) -> QueryResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::status.eq(status),
            deliveries::response_status.eq(response_status),
            deliveries::last_error.eq(Some(error)),
            deliveries::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// An endpoint enabled again: its held deliveries are due now with a fresh
/// attempt budget. Returns their ids, to enqueue after commit.
pub async fn resume_held(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    webhook_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    diesel::update(
        deliveries::table
            .filter(deliveries::organization_id.eq(org))
            .filter(deliveries::webhook_id.eq(webhook_id))
            .filter(deliveries::status.eq(status::HELD)),
    )
    .set((
        deliveries::status.eq(status::PENDING),
        deliveries::attempts.eq(0),
        deliveries::next_attempt_at.eq(Utc::now()),
    ))
    .returning(deliveries::id)
    .get_results(conn)
    .await
}

/// Operator retry of a dead delivery, due now with a fresh attempt budget.
pub async fn reset_for_retry(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let n = diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(status::DEAD)),
    )
    .set((
        deliveries::status.eq(status::PENDING),
        deliveries::attempts.eq(0),
        deliveries::next_attempt_at.eq(Utc::now()),
        deliveries::lease_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Retention: deletes succeeded and dead deliveries last touched before `before`.
pub async fn purge_finished(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        deliveries::table
            .filter(deliveries::status.eq_any([status::SUCCEEDED, status::DEAD]))
            .filter(deliveries::updated_at.lt(before)),
    )
    .execute(conn)
    .await
}
