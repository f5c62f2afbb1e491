//! ENCRYPTION_KEY rotation: every secret sealed at rest re-encrypted from the old key to the new
//! one in a single transaction, so the database never holds a mix that one key cannot read.
//!
//! What is sealed is found from the catalog, not from a list kept by hand: every `bytea` column
//! named `encrypted_*` (provider credentials, integration credentials, webhook signing secrets,
//! and whatever table adds one later), plus the sealed links of outbox e-mails. Idempotent: a
//! value that already opens under the new key is left alone, so a second run (or a run after a
//! crash, which rolled everything back) changes nothing. A value neither key opens stops the
//! rotation with nothing changed.

use diesel::sql_types::{Bytea, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crypto::EncryptionKey;
use crypto::sealed_link;

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error("{table}.{column} of row {id} opens under neither key; nothing was changed")]
    Undecryptable {
        table: String,
        column: String,
        id: Uuid,
    },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What one rotation did, per column (`table.column`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// (`table.column`, values re-encrypted, values already under the new key).
    pub columns: Vec<(String, u64, u64)>,
}

impl RotationReport {
    pub fn rotated(&self) -> u64 {
        self.columns.iter().map(|(_, rotated, _)| rotated).sum()
    }

    pub fn already_rotated(&self) -> u64 {
        self.columns.iter().map(|(_, _, already)| already).sum()
    }
}

#[derive(QueryableByName)]
struct SealedColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

#[derive(QueryableByName)]
struct SealedValue {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Nullable<Bytea>)]
    sealed: Option<Vec<u8>>,
}

#[derive(QueryableByName)]
struct SealedData {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Jsonb)]
    data: serde_json::Value,
}

/// Re-encrypts every sealed value from `old` to `new`, all or nothing.
pub async fn rotate(
    conn: &mut AsyncPgConnection,
    old: &EncryptionKey,
    new: &EncryptionKey,
) -> Result<RotationReport, RotationError> {
    conn.transaction::<_, RotationError, _>(async |c| {
        let mut report = RotationReport::default();
        let columns: Vec<SealedColumn> = sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND data_type = 'bytea'
               AND column_name LIKE 'encrypted\\_%'
             ORDER BY table_name, column_name",
        )
        .load(c)
        .await?;
        for column in columns {
            let counts = rotate_column(c, &column, old, new).await?;
            let name = format!("{}.{}", column.table_name, column.column_name);
            report.columns.push((name, counts.0, counts.1));
        }
        let counts = rotate_outbox_links(c, old, new).await?;
        report.columns.push((
            format!("email_outbox.data.{}", sealed_link::SEALED),
            counts.0,
            counts.1,
        ));
        Ok(report)
    })
    .await
}

/// (re-encrypted, already under the new key) for one column.
async fn rotate_column(
    conn: &mut AsyncPgConnection,
    column: &SealedColumn,
    old: &EncryptionKey,
    new: &EncryptionKey,
) -> Result<(u64, u64), RotationError> {
    // Identifiers come from the catalog, quoted; values are bound.
    let (table, name) = (quote(&column.table_name), quote(&column.column_name));
    let rows: Vec<SealedValue> = sql_query(format!(
        "SELECT id, {name} AS sealed FROM {table} ORDER BY id FOR UPDATE"
    ))
    .load(conn)
    .await?;
    let (mut rotated, mut already) = (0, 0);
    for row in rows {
        // Empty: a provider saved without a key holds nothing to rotate.
        let Some(sealed) = row.sealed.filter(|s| !s.is_empty()) else {
            continue;
        };
        if new.decrypt(&sealed).is_ok() {
            already += 1;
            continue;
        }
        let plain = old
            .decrypt(&sealed)
            .map_err(|_| RotationError::Undecryptable {
                table: column.table_name.clone(),
                column: column.column_name.clone(),
                id: row.id,
            })?;
        sql_query(format!("UPDATE {table} SET {name} = $1 WHERE id = $2"))
            .bind::<Bytea, _>(new.encrypt(&plain))
            .bind::<SqlUuid, _>(row.id)
            .execute(conn)
            .await?;
        rotated += 1;
    }
    Ok((rotated, already))
}

async fn rotate_outbox_links(
    conn: &mut AsyncPgConnection,
    old: &EncryptionKey,
    new: &EncryptionKey,
) -> Result<(u64, u64), RotationError> {
    let rows: Vec<SealedData> = sql_query(
        "SELECT id, data FROM email_outbox WHERE data ->> 'sealedLink' IS NOT NULL
         ORDER BY id FOR UPDATE",
    )
    .load(conn)
    .await?;
    let (mut rotated, mut already) = (0, 0);
    for row in rows {
        if sealed_link::open(&row.data, new).is_ok() {
            already += 1;
            continue;
        }
        let undecryptable = || RotationError::Undecryptable {
            table: "email_outbox".into(),
            column: format!("data.{}", sealed_link::SEALED),
            id: row.id,
        };
        let data = sealed_link::reseal(&row.data, old, new)
            .map_err(|_| undecryptable())?
            .ok_or_else(undecryptable)?;
        sql_query("UPDATE email_outbox SET data = $1 WHERE id = $2")
            .bind::<Jsonb, _>(data)
            .bind::<SqlUuid, _>(row.id)
            .execute(conn)
            .await?;
        rotated += 1;
    }
    Ok((rotated, already))
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
