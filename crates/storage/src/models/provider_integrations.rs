//! `provider_integrations`: an organization's TTS, STT and LLM backends, with
//! sealed credentials, one primary per type (a partial unique index), and the
//! outcome of the last connection test.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::schema::provider_integrations as pi;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = pi, check_for_backend(diesel::pg::Pg))]
pub struct ProviderIntegration {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub provider_type: String,
    pub provider_name: String,
    pub display_name: String,
    /// `nonce || ciphertext` of the credentials JSON; never serialized.
    pub encrypted_credentials: Vec<u8>,
    pub api_key_last4: String,
    pub config: serde_json::Value,
    pub status: String,
    pub is_primary: bool,
    pub last_tested_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = pi)]
pub struct NewProviderIntegration {
    pub organization_id: Uuid,
    pub provider_type: String,
    pub provider_name: String,
    pub display_name: String,
    pub encrypted_credentials: Vec<u8>,
    pub api_key_last4: String,
    pub config: serde_json::Value,
}

/// A replacement of the editable fields (PUT). New credentials make the
/// provider untested again; `None` keeps the stored ones.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = pi)]
pub struct ProviderIntegrationUpdate {
    pub provider_name: Option<String>,
    pub display_name: Option<String>,
    pub encrypted_credentials: Option<Vec<u8>>,
    pub api_key_last4: Option<String>,
    pub config: Option<serde_json::Value>,
    pub status: Option<String>,
    pub last_error: Option<Option<String>>,
    pub last_tested_at: Option<Option<DateTime<Utc>>>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewProviderIntegration,
) -> QueryResult<ProviderIntegration> {
    diesel::insert_into(pi::table)
        .values(new)
        .returning(ProviderIntegration::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> QueryResult<ProviderIntegration> {
    pi::table
        .filter(pi::organization_id.eq(org).and(pi::id.eq(id)))
        .select(ProviderIntegration::as_select())
        .first(conn)
        .await
}

/// Providers grouped by type, newest first within a type.
pub async fn list(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    page: PageRequest,
) -> QueryResult<Page<ProviderIntegration>> {
    let rows = pi::table
        .filter(pi::organization_id.eq(org))
        .order((
            pi::provider_type.asc(),
            pi::created_at.desc(),
            pi::id.desc(),
        ))
        .limit(page.limit())
        .offset(page.offset())
        .select(ProviderIntegration::as_select())
        .load(conn)
        .await?;
    let total = pi::table
        .filter(pi::organization_id.eq(org))
        .count()
        .get_result(conn)
        .await?;
    Ok(Page::new(rows, total, page))
}

/// The primary provider of a type, if one is set.
pub async fn find_primary(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    provider_type: &str,
) -> QueryResult<Option<ProviderIntegration>> {
    pi::table
        .filter(
            pi::organization_id
                .eq(org)
                .and(pi::provider_type.eq(provider_type))
                .and(pi::is_primary),
        )
        .select(ProviderIntegration::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    changes: &ProviderIntegrationUpdate,
) -> QueryResult<ProviderIntegration> {
    diesel::update(pi::table.filter(pi::organization_id.eq(org).and(pi::id.eq(id))))
        .set(changes)
        .returning(ProviderIntegration::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(conn: &mut AsyncPgConnection, org: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(pi::table.filter(pi::organization_id.eq(org).and(pi::id.eq(id))))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Makes `id` the primary of its type: clears the old primary first, then
/// sets the new one, so the partial unique index never sees two. Run it in a
/// transaction; the row lock on the target serialises concurrent calls.
pub async fn set_primary(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
) -> QueryResult<ProviderIntegration> {
    let target: ProviderIntegration = pi::table
        .filter(pi::organization_id.eq(org).and(pi::id.eq(id)))
        .select(ProviderIntegration::as_select())
        .for_update()
        .first(conn)
        .await?;
    diesel::update(
        pi::table
            .filter(pi::organization_id.eq(org))
            .filter(pi::provider_type.eq(&target.provider_type))
            .filter(pi::is_primary)
            .filter(pi::id.ne(id)),
    )
    .set(pi::is_primary.eq(false))
    .execute(conn)
    .await?;
    diesel::update(pi::table.find(id))
        .set(pi::is_primary.eq(true))
        .returning(ProviderIntegration::as_returning())
        .get_result(conn)
        .await
}

/// Records the outcome of a connection test.
pub async fn record_test(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    status: &str,
    last_error: Option<&str>,
    tested_at: DateTime<Utc>,
) -> QueryResult<ProviderIntegration> {
    diesel::update(pi::table.filter(pi::organization_id.eq(org).and(pi::id.eq(id))))
        .set((
            pi::status.eq(status),
            pi::last_error.eq(last_error),
            pi::last_tested_at.eq(Some(tested_at)),
        ))
        .returning(ProviderIntegration::as_returning())
        .get_result(conn)
        .await
}
