//! `integrations`: an organization's account on a voice platform (one per
//! provider), with its credentials sealed by AES-256-GCM and the outcome of
//! the last connection test.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::integrations;
use crypto::{CryptoError, EncryptionKey};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = integrations, check_for_backend(diesel::pg::Pg))]
pub struct Integration {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub provider: String,
    pub category: String,
    /// `nonce || ciphertext` of the credentials JSON; never serialized.
    pub encrypted_credentials: Vec<u8>,
    pub api_key_last4: String,
    pub config: serde_json::Value,
    pub status: String,
    pub last_tested_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = integrations)]
pub struct NewIntegration {
    pub organization_id: Uuid,
    pub provider: String,
    pub category: String,
    pub encrypted_credentials: Vec<u8>,
    pub api_key_last4: String,
    pub config: serde_json::Value,
}

/// The credentials JSON sealed in `encrypted_credentials`:
/// `{"apiKey": "...", "webhookSecret": "..."}`. `Debug` hides both.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub api_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials([REDACTED])")
    }
}

impl Credentials {
    pub fn seal(&self, key: &EncryptionKey) -> Vec<u8> {
        // Serializing two strings cannot fail.
        key.encrypt(&serde_json::to_vec(self).unwrap_or_default())
    }
}

impl Integration {
    /// The decrypted credentials (the API key for connection tests, the
    /// webhook secret for inbound signature checks).
    pub fn credentials(&self, key: &EncryptionKey) -> Result<Credentials, CryptoError> {
        let plain = key.decrypt(&self.encrypted_credentials)?;
        serde_json::from_slice(&plain).map_err(|_| CryptoError::Decrypt)
    }
}

pub mod status {
    pub const UNTESTED: &str = "untested";
    pub const ACTIVE: &str = "active";
    pub const ERROR: &str = "error";
}

/// The organization's integration with `provider`, if it has one (also the
/// inbound webhook's way to the signing secret).
pub async fn find_by_provider(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    provider: &str,
) -> QueryResult<Option<Integration>> {
    integrations::table
        .filter(
            integrations::organization_id
                .eq(org)
                .and(integrations::provider.eq(provider)),
        )
        .select(Integration::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn list(conn: &mut AsyncPgConnection, org: Uuid) -> QueryResult<Vec<Integration>> {
    integrations::table
        .filter(integrations::organization_id.eq(org))
        .order(integrations::provider.asc())
        .select(Integration::as_select())
        .load(conn)
        .await
}

/// Creates the integration or replaces the credentials and config of the
/// existing one for that provider (new credentials are untested again).
/// Returns the row and whether it was created (`xmax = 0` marks an insert).
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    new: &NewIntegration,
) -> QueryResult<(Integration, bool)> {
    let row: (Integration, bool) = diesel::insert_into(integrations::table)
        .values(new)
        .on_conflict((integrations::organization_id, integrations::provider))
        .do_update()
        .set((
            integrations::encrypted_credentials.eq(excluded(integrations::encrypted_credentials)),
            integrations::api_key_last4.eq(excluded(integrations::api_key_last4)),
            integrations::config.eq(excluded(integrations::config)),
            integrations::status.eq(status::UNTESTED),
            integrations::last_error.eq(None::<String>),
            integrations::last_tested_at.eq(None::<DateTime<Utc>>),
        ))
        .returning((
            Integration::as_returning(),
            diesel::dsl::sql::<diesel::sql_types::Bool>("xmax = 0"),
        ))
        .get_result(conn)
        .await?;
    Ok(row)
}

/// Records the outcome of a connection test.
pub async fn record_test(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: Uuid,
    status: &str,
    last_error: Option<&str>,
    tested_at: DateTime<Utc>,
) -> QueryResult<Integration> {
    diesel::update(
        integrations::table.filter(
            integrations::organization_id
                .eq(org)
                .and(integrations::id.eq(id)),
        ),
    )
    .set((
        integrations::status.eq(status),
        integrations::last_error.eq(last_error),
        integrations::last_tested_at.eq(Some(tested_at)),
    ))
    .returning(Integration::as_returning())
    .get_result(conn)
    .await
}
