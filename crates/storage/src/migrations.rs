//! Embedded diesel migrations, applied under a Postgres advisory lock so that
//! several processes starting at once (API replicas, a compose `migrate`
//! service) never run them twice.

use anyhow::Context;
use diesel::RunQueryDsl;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Arbitrary constant shared by every process that migrates this schema.
const MIGRATION_LOCK_KEY: i64 = 0x4543_484f_5345_4e53;

type SyncConnection = AsyncConnectionWrapper<AsyncPgConnection>;

/// Applies every pending migration; returns the versions applied (empty when
/// the schema was already current, so running it twice is fine).
pub async fn run_pending(database_url: &str) -> anyhow::Result<Vec<String>> {
    let conn = crate::pg_tls::establish(database_url)
        .await
        .context("connecting to run migrations")?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        // The harness needs a blocking connection; it wraps the async one
        // (opened above, over TLS when the URL asks).
        let mut conn = SyncConnection::from(conn);
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn)
            .context("taking the migration lock")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|e| anyhow::anyhow!("applying migrations: {e}"));
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn);
        applied
    })
    .await
    .context("migration task panicked")?
}

/// True when the database lacks a migration embedded in this binary.
pub async fn has_pending(database_url: &str) -> anyhow::Result<bool> {
    let conn = crate::pg_tls::establish(database_url)
        .await
        .context("connecting to check migrations")?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
        let mut conn = SyncConnection::from(conn);
        conn.has_pending_migration(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("checking migrations: {e}"))
    })
    .await
    .context("migration check panicked")?
}
