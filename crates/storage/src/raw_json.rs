//! `RawJson`: a jsonb column read as the JSON text Postgres printed, for
//! answers that pass it through to the client unchanged. Parsing it into a
//! `serde_json::Value` only to print it again cost a fifth of the call-log
//! page's CPU (docs/BENCHMARKS.md).

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Jsonb;

/// Valid JSON text: Postgres only stores valid jsonb.
#[derive(Debug, Clone, PartialEq, Eq, FromSqlRow)]
pub struct RawJson(pub String);

impl RawJson {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromSql<Jsonb, Pg> for RawJson {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        // The binary jsonb format is a version byte, then the JSON text.
        match value.as_bytes().split_first() {
            Some((1, text)) => Ok(Self(std::str::from_utf8(text)?.to_owned())),
            _ => Err("unsupported jsonb format version".into()),
        }
    }
}
