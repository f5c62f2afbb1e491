//! `api_keys`: programmatic access per organization. Only a SHA-256 digest of
//! a key is stored; the key itself is shown once, at creation.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::api_keys;

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub created_by: Option<Uuid>,
    pub name: String,
    /// The first characters of the key, enough to recognise it in a list.
    pub prefix: String,
    #[serde(skip)]
    pub key_hash: Vec<u8>,
    pub role: String,
    pub scopes: Vec<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey {
    pub organization_id: Uuid,
    pub created_by: Option<Uuid>,
    pub name: String,
    pub prefix: String,
    pub key_hash: Vec<u8>,
    pub role: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewApiKey) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table)
        .values(new)
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .await
}

/// The organization's keys that are not revoked, newest first.
pub async fn list_active(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<ApiKey>> {
    let active = || {
        api_keys::table
            .filter(api_keys::organization_id.eq(org))
            .filter(api_keys::revoked_at.is_null())
    };
    let rows = active()
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(ApiKey::as_select())
        .load(conn)
        .await?;
    let total = active().count().get_result(conn).await?;
    Ok(Page::new(rows, total, page))
}

/// The key of a digest if it may be used at `now`: not revoked, not expired.
pub async fn find_live(
    conn: &mut AsyncPgConnection,
    key_hash: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(now)),
        )
        .select(ApiKey::as_select())
        .first(conn)
        .await
        .optional()
}

/// Revokes an active key of the organization; `None` when there is none.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> QueryResult<Option<ApiKey>> {
    diesel::update(
        api_keys::table
            .filter(api_keys::organization_id.eq(org))
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(Utc::now())))
    .returning(ApiKey::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Revokes every active key a user created (the user is being removed);
/// returns their digests so cached resolutions can be dropped.
pub async fn revoke_created_by(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    user_id: Uuid,
) -> QueryResult<Vec<Vec<u8>>> {
    diesel::update(
        api_keys::table
            .filter(api_keys::organization_id.eq(org))
            .filter(api_keys::created_by.eq(user_id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(Utc::now())))
    .returning(api_keys::key_hash)
    .get_results(conn)
    .await
}

/// Digests of the active keys a user created (the user's role changed, so
/// their cached resolutions, which carry the capped role, must go).
pub async fn digests_created_by(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    user_id: Uuid,
) -> QueryResult<Vec<Vec<u8>>> {
    api_keys::table
        .filter(api_keys::organization_id.eq(org))
        .filter(api_keys::created_by.eq(user_id))
        .filter(api_keys::revoked_at.is_null())
        .select(api_keys::key_hash)
        .load(conn)
        .await
}

/// Records use at `now` unless it was recorded after `stale_before`: the
/// condition keeps a busy key from writing its row on every request.
pub async fn touch_last_used(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::update(
        api_keys::table.filter(api_keys::id.eq(id)).filter(
            api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(stale_before)),
        ),
    )
    .set(api_keys::last_used_at.eq(Some(now)))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
