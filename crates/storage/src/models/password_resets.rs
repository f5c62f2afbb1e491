//! `password_resets`: one-time tokens (stored as SHA-256 digests) that let a
//! user set a new password.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::password_resets;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = password_resets, check_for_backend(diesel::pg::Pg))]
pub struct PasswordReset {
    pub id: Uuid,
    pub user_id: Uuid,
    #[serde(skip)]
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = password_resets)]
pub struct NewPasswordReset {
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewPasswordReset,
) -> QueryResult<PasswordReset> {
    diesel::insert_into(password_resets::table)
        .values(new)
        .returning(PasswordReset::as_returning())
        .get_result(conn)
        .await
}

/// The reset of a token digest if it can still be used at `now`.
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<PasswordReset>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(now))
        .select(PasswordReset::as_select())
        .first(conn)
        .await
        .optional()
}

/// Uses a live reset in one statement, so two requests with the same token
/// cannot both succeed.
pub async fn consume(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<PasswordReset>> {
    diesel::update(
        password_resets::table
            .filter(password_resets::token_hash.eq(token_hash))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(now)),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .returning(PasswordReset::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Retires every unused reset of a user (after a successful reset, older
/// links in the mailbox stop working).
pub async fn invalidate_for_user(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id))
            .filter(password_resets::used_at.is_null()),
    )
    .set(password_resets::used_at.eq(Some(now)))
    .execute(conn)
    .await
}
