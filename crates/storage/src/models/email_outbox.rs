//! `email_outbox`: mails to send. The API writes a row in the transaction of
//! the change that causes the mail; the worker claims and sends it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::email_outbox;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize)]
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

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewOutboxEmail) -> QueryResult<OutboxEmail> {
    diesel::insert_into(email_outbox::table)
        .values(new)
        .returning(OutboxEmail::as_returning())
        .get_result(conn)
        .await
}

pub async fn find_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<OutboxEmail>> {
    email_outbox::table.find(id).select(OutboxEmail::as_select()).first(conn).await.optional()
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
            email_outbox::status.eq(status::QUEUED).or(email_outbox::status
                .eq(status::SENDING)
                .and(email_outbox::lease_until.is_null().or(email_outbox::lease_until.lt(now)))),
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
                .or(email_outbox::status.eq(status::SENDING).and(email_outbox::lease_until.lt(now))),
        )
        .order(email_outbox::updated_at.asc())
        .limit(limit)
        .select(email_outbox::id)
        .load(conn)
        .await
}
