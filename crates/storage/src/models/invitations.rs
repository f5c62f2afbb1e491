//! `invitations`: a pending seat in an organization for an e-mail address,
//! accepted once through a token whose SHA-256 digest is stored.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::invitations;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = invitations, check_for_backend(diesel::pg::Pg))]
pub struct Invitation {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub role: String,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub invited_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation {
    pub organization_id: Uuid,
    pub email: String,
    pub role: String,
    pub token_hash: Vec<u8>,
    pub invited_by: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewInvitation) -> QueryResult<Invitation> {
    diesel::insert_into(invitations::table)
        .values(new)
        .returning(Invitation::as_returning())
        .get_result(conn)
        .await
}

/// Invitations not accepted and not expired at `now`: they hold a seat.
pub async fn count_pending(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    invitations::table
        .filter(invitations::organization_id.eq(org))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .count()
        .get_result(conn)
        .await
}

/// The unaccepted invitation of an address (any case), expired or not.
pub async fn find_unaccepted_by_email(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    email: &str,
) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::organization_id.eq(org))
        .filter(lower(invitations::email).eq(email.to_lowercase()))
        .filter(invitations::accepted_at.is_null())
        .select(Invitation::as_select())
        .first(conn)
        .await
        .optional()
}

/// Removes one invitation of the organization (an expired one, before the
/// address is invited again: only one unaccepted invitation per address).
pub async fn delete(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(
        invitations::table
            .filter(invitations::organization_id.eq(org))
            .filter(invitations::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// The invitation of a token digest if it can still be accepted at `now`.
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(now))
        .select(Invitation::as_select())
        .first(conn)
        .await
        .optional()
}

/// Marks a live invitation accepted; `None` if another request won the race
/// or it expired meanwhile, so an invitation is used at most once.
pub async fn accept(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<Invitation>> {
    diesel::update(
        invitations::table
            .filter(invitations::token_hash.eq(token_hash))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::expires_at.gt(now)),
    )
    .set(invitations::accepted_at.eq(Some(now)))
    .returning(Invitation::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// The organization's unaccepted invitations (pending or expired), newest
/// first.
pub async fn list_unaccepted(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<Invitation>> {
    let unaccepted = || {
        invitations::table
            .filter(invitations::organization_id.eq(org))
            .filter(invitations::accepted_at.is_null())
    };
    let rows = unaccepted()
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(Invitation::as_select())
        .load(conn)
        .await?;
    let total = unaccepted().count().get_result(conn).await?;
    Ok(Page::new(rows, total, page))
}

/// Withdraws an unaccepted invitation: its token stops working and its seat
/// is freed. `None` when there is none (unknown, another organization's, or
/// already accepted).
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> QueryResult<Option<Invitation>> {
    diesel::delete(
        invitations::table
            .filter(invitations::organization_id.eq(org))
            .filter(invitations::id.eq(id))
            .filter(invitations::accepted_at.is_null()),
    )
    .returning(Invitation::as_returning())
    .get_result(conn)
    .await
    .optional()
}
