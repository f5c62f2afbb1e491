//! Postgres, shared by the API and the worker: the pool (diesel-async on bb8)
//! with its read replicas and TLS, migrations, `schema.rs` and one module per
//! table holding its model and queries; plus the upload store, whose files the
//! `documents` rows name, and the re-encryption of the secrets sealed in rows.
//!
//! Redis lives in `kv`, settings in `settings`, key handling in `crypto`.

pub mod db;
pub mod file_store;
pub mod key_rotation;
pub mod migrations;
pub mod models;
pub mod pagination;
pub mod pg_tls;
pub mod raw_json;
pub mod replicas;
pub mod schema;

#[cfg(feature = "test-support")]
pub mod test_cli;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use db::{Database, DbConn, PoolStats};
