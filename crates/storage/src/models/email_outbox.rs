//! `email_outbox`: mails to send. The API writes a row in the transaction of
//! the change that causes the mail; the worker claims and sends it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::email_outbox;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = email_outbox, check_for_backend(diesel::pg::Pg))]
pub struct OutboxEmail {
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub to_address: String,
    pub template: String,
    /// Template variables; may hold one-time links, so never logged.
    #[serde(skip_serializing)]
    pub data: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = email_outbox)]
pub struct NewOutboxEmail {
    pub organization_id: Option<Uuid>,
    pub to_address: String,
    pub template: String,
    pub data: serde_json::Value,
}

pub mod template {
    pub const WELCOME: &str = "welcome";
    pub const INVITATION: &str = "invitation";
    pub const PASSWORD_RESET: &str = "password_reset";
}

pub mod status {
    pub const QUEUED: &str = "queued";
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewOutboxEmail,
) -> QueryResult<OutboxEmail> {
    diesel::insert_into(email_outbox::table)
        .values(new)
        .returning(OutboxEmail::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_by_id(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<OutboxEmail>> {
    email_outbox::table
        .find(id)
        .select(OutboxEmail::as_select())
        .first(conn)
        .await
        .optional()
}

/// Takes a queued mail (or one whose lease expired) for `lease_until`.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Option<OutboxEmail>> {
    diesel::update(
        email_outbox::table.filter(email_outbox::id.eq(id)).filter(
            email_outbox::status
                .eq(status::QUEUED)
                .or(email_outbox::status.eq(status::SENDING).and(
                    email_outbox::lease_until
                        .is_null()
                        .or(email_outbox::lease_until.lt(now)),
                )),
        ),
    )
    .set((
        email_outbox::status.eq(status::SENDING),
        email_outbox::lease_until.eq(Some(lease_until)),
        email_outbox::attempts.eq(email_outbox::attempts + 1),
    ))
    .returning(OutboxEmail::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Mails the sweeper must (re-)enqueue: queued since before `queued_before`,
/// or sending with an expired lease.
pub async fn stalled_ids(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    queued_before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    email_outbox::table
        .filter(email_outbox::status.eq_any([status::QUEUED, status::SENDING]))
        .filter(
            email_outbox::status
                .eq(status::QUEUED)
                .and(email_outbox::updated_at.lt(queued_before))
                .or(email_outbox::status
                    .eq(status::SENDING)
                    .and(email_outbox::lease_until.lt(now))),
        )
        .order(email_outbox::updated_at.asc())
        .limit(limit)
        .select(email_outbox::id)
        .load(conn)
        .await
}

pub async fn mark_sent(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq(status::SENT),
            email_outbox::sent_at.eq(Some(Utc::now())),
            email_outbox::lease_until.eq(None::<DateTime<Utc>>),
            email_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Out of attempts, or an error no retry can fix.
pub async fn mark_failed(conn: &mut AsyncPgConnection, id: Uuid, error: &str) -> QueryResult<()> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq(status::FAILED),
            email_outbox::lease_until.eq(None::<DateTime<Utc>>),
            email_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A failed attempt retried at `retry_at`; the lease is held until then.
pub async fn schedule_retry(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    error: &str,
    retry_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        email_outbox::table
            .find(id)
            .filter(email_outbox::status.eq(status::SENDING)),
    )
    .set((
        email_outbox::lease_until.eq(Some(retry_at)),
        email_outbox::last_error.eq(Some(error)),
    ))
    .execute(conn)
    .await
    .map(drop)
}

/// Operator retry of a failed mail, with a fresh attempt budget.
pub async fn reset_for_retry(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let n = diesel::update(
        email_outbox::table
            .find(id)
            .filter(email_outbox::status.eq(status::FAILED)),
    )
    .set((
        email_outbox::status.eq(status::QUEUED),
        email_outbox::attempts.eq(0),
        email_outbox::lease_until.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Retention: deletes sent and failed mails last touched before `before`.
pub async fn purge_finished(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        email_outbox::table
            .filter(email_outbox::status.eq_any([status::SENT, status::FAILED]))
            .filter(email_outbox::updated_at.lt(before)),
    )
    .execute(conn)
    .await
}
