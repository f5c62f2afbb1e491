//! Row leases of the three job tables (documents, email_outbox,
//! webhook_deliveries): a worker's claim sets `lease_until`, a running job
//! renews it, and a job that finds the row held learns until when.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// A table whose rows a worker claims with a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeasedTable {
    Documents,
    EmailOutbox,
    WebhookDeliveries,
}

impl LeasedTable {
    fn name(self) -> &'static str {
        match self {
            LeasedTable::Documents => "documents",
            LeasedTable::EmailOutbox => "email_outbox",
            LeasedTable::WebhookDeliveries => "webhook_deliveries",
        }
    }

    /// The status of a row while a worker holds it.
    fn working(self) -> &'static str {
        match self {
            LeasedTable::Documents => super::documents::status::PROCESSING,
            LeasedTable::EmailOutbox => super::email_outbox::status::SENDING,
            LeasedTable::WebhookDeliveries => super::webhook_deliveries::status::DELIVERING,
        }
    }
}

/// Moves the lease this worker holds (`held`: as claimed or last renewed)
/// to `until`. False when the lease is no longer ours (expired and taken
/// over, or the row finished).
pub async fn renew(
    conn: &mut AsyncPgConnection,
    table: LeasedTable,
    id: Uuid,
    held: DateTime<Utc>,
    until: DateTime<Utc>,
) -> diesel::QueryResult<bool> {
    // The table name comes from the closed enum above, never from input.
    let sql = format!(
        "UPDATE {} SET lease_until = $1 WHERE id = $2 AND status = $3 AND lease_until = $4",
        table.name()
    );
    let updated = diesel::sql_query(sql)
        .bind::<Timestamptz, _>(until)
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<Text, _>(table.working())
        .bind::<Timestamptz, _>(held)
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

#[derive(QueryableByName)]
struct LeaseEnd {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    lease_until: Option<DateTime<Utc>>,
}

/// The end of a live lease on a row a claim just refused, or `None` when
/// nobody holds it (finished, deleted, not due yet).
pub async fn held_until(
    conn: &mut AsyncPgConnection,
    table: LeasedTable,
    id: Uuid,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Option<DateTime<Utc>>> {
    let sql = format!(
        "SELECT lease_until FROM {} WHERE id = $1 AND status = $2 AND lease_until > $3",
        table.name()
    );
    let row: Option<LeaseEnd> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<Text, _>(table.working())
        .bind::<Timestamptz, _>(now)
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.and_then(|r| r.lease_until))
}
