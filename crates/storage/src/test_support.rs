//! Test harness (feature `test-support`): each test gets its own database,
//! cloned from a template migrated once per migration set, dropped when the
//! test ends; leftovers of crashed runs are swept. (Its Redis prefix comes
//! from `kv::test_support`.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod certs;
pub mod pg_cluster;

use std::time::{SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};

use settings::DatabaseConfig;

const TEST_DB_PREFIX: &str = "esx_test_";
const TEMPLATE_PREFIX: &str = "esx_tpl_";
/// Test databases older than this are leftovers of a crashed run.
const STALE_AFTER_SECS: u64 = 3 * 3600;
const TEMPLATE_LOCK_KEY: i64 = 0x4553_5854_504c;

/// The server the tests use, as an admin URL (any existing database).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn url_for(database: &str) -> String {
    let mut url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(database);
    url.to_string()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A hash of every migration file, so a changed migration gets a new template.
fn migrations_fingerprint() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    let mut hasher = Sha256::new();
    for path in entries {
        hasher.update(path.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&path).unwrap_or_default());
    }
    hex::encode(&hasher.finalize()[..8])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(read) = std::fs::read_dir(dir) {
        for entry in read.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
    /// When the database was created (its directory's PG_VERSION file), in Unix seconds;
    /// now for one being dropped by another run meanwhile (missing_ok: no error).
    #[diesel(sql_type = BigInt)]
    created: i64,
}

async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&admin_url())
        .await
        .expect("connect to the test Postgres server")
}

/// Creates the template for the current migrations if missing (once per run,
/// whatever the number of test processes), and sweeps stale databases.
async fn ensure_template(conn: &mut AsyncPgConnection) -> String {
    let template = format!("{TEMPLATE_PREFIX}{}", migrations_fingerprint());
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(conn)
        .await
        .unwrap();
    let existing: Vec<Name> =
        diesel::sql_query(
            "SELECT datname, coalesce(extract(epoch FROM (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification), extract(epoch FROM now()))::int8 AS created \
             FROM pg_database WHERE datname LIKE 'esx\\_%'",
        )
            .load(conn)
            .await
            .unwrap();
    sweep(conn, &existing, &template).await;
    if !existing.iter().any(|n| n.datname == template) {
        let building = format!("{template}_building");
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .execute(conn)
            .await
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(conn)
            .await
            .unwrap();
        crate::migrations::run_pending(&url_for(&building))
            .await
            .expect("migrate the template");
        // The rename makes the finished template appear atomically.
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(conn)
            .await
            .unwrap();
        diesel::sql_query(format!(
            "ALTER DATABASE {template} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"
        ))
        .execute(conn)
        .await
        .unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK_KEY)
        .execute(conn)
        .await
        .unwrap();
    template
}

/// Drops test databases of crashed runs and templates of older migrations. An old
/// template is kept for a while: checkouts with other migration sets (branches tested
/// side by side on one server) may still be cloning it.
async fn sweep(conn: &mut AsyncPgConnection, existing: &[Name], template: &str) {
    let now = now_secs();
    for name in existing {
        let stale_test = name
            .datname
            .strip_prefix(TEST_DB_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok())
            .is_some_and(|created| now.saturating_sub(created) > STALE_AFTER_SECS);
        let old_template = name.datname.starts_with(TEMPLATE_PREFIX)
            && name.datname != template
            && now.saturating_sub(u64::try_from(name.created).unwrap_or(0)) > STALE_AFTER_SECS;
        if old_template {
            let _ = diesel::sql_query(format!(
                "ALTER DATABASE {} WITH IS_TEMPLATE false",
                name.datname
            ))
            .execute(conn)
            .await;
        }
        if stale_test || old_template {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                name.datname
            ))
            .execute(conn)
            .await;
        }
    }
}

/// A database of one test, dropped when this value is dropped.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let mut conn = admin().await;
        let template = ensure_template(&mut conn).await;
        let name = format!(
            "{TEST_DB_PREFIX}{}_{}",
            now_secs(),
            uuid::Uuid::new_v4().simple()
        );
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .unwrap();
        Self {
            url: url_for(&name),
            name,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A small-pool configuration, so parallel tests stay under Postgres'
    /// max_connections.
    pub fn config(&self, max_connections: u32) -> DatabaseConfig {
        DatabaseConfig::new(&self.url, max_connections)
    }

    pub fn database(&self, max_connections: u32) -> crate::Database {
        crate::Database::connect_lazy(&self.config(max_connections))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async; a helper thread with its own runtime can
        // block on the DROP whichever runtime (if any) the test used.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin_url()).await {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                }
            });
        })
        .join();
    }
}

/// `EXPLAIN` of a diesel query with its real bind values: the plan of exactly
/// the SQL the storage function emits.
pub async fn explain<Q>(conn: &mut AsyncPgConnection, query: Q) -> String
where
    Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>
        + diesel::query_builder::QueryId
        + Send
        + 'static,
{
    let lines: Vec<String> = Explain(query).load(conn).await.expect("EXPLAIN runs");
    lines.join("\n")
}

#[derive(diesel::query_builder::QueryId)]
struct Explain<Q>(Q);

impl<Q> diesel::query_builder::Query for Explain<Q> {
    type SqlType = Text;
}

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>>
    diesel::query_builder::QueryFragment<diesel::pg::Pg> for Explain<Q>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql("EXPLAIN ");
        self.0.walk_ast(out.reborrow())
    }
}
