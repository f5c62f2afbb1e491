//! `users`: the people of an organization. E-mail is unique across the
//! platform, compared case-insensitively.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::users;

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// A user row. `password_hash` is skipped by serde so it cannot leak into a
/// response or a cache entry.
#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub name: String,
    pub role: String,
    pub status: String,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub organization_id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub role: Option<String>,
    pub status: Option<String>,
    pub password_hash: Option<String>,
    pub last_login_at: Option<Option<DateTime<Utc>>>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewUser) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

/// Login lookup across organizations, by e-mail in any case.
pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(lower(users::email).eq(email.to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// A user by id alone: for authentication, which starts from a session.
pub async fn find_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<User> {
    users::table
        .filter(users::organization_id.eq(org).and(users::id.eq(id)))
        .select(User::as_select())
        .first(conn)
        .await
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<User>> {
    let rows = users::table
        .filter(users::organization_id.eq(org))
        .order((users::created_at.desc(), users::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(User::as_select())
        .load(conn)
        .await?;
    let total = count(conn, org).await?;
    Ok(Page::new(rows, total, page))
}

pub async fn count(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<i64> {
    users::table
        .filter(users::organization_id.eq(org))
        .count()
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    changes: &UserUpdate,
) -> QueryResult<User> {
    diesel::update(users::table.filter(users::organization_id.eq(org).and(users::id.eq(id))))
        .set(changes)
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<bool> {
    let n =
        diesel::delete(users::table.filter(users::organization_id.eq(org).and(users::id.eq(id))))
            .execute(conn)
            .await?;
    Ok(n == 1)
}

/// Users of the organization holding `role` (the last owner is protected).
pub async fn count_with_role(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    role: &str,
) -> QueryResult<i64> {
    users::table
        .filter(users::organization_id.eq(org))
        .filter(users::role.eq(role))
        .count()
        .get_result(conn)
        .await
}
