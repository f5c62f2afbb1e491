//! The migrated schema: every table of the design, 40+ indexes each naming
//! the query it serves, deliberate ON DELETE rules, and idempotent migration.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use storage::test_support::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

async fn connect(db: &TestDatabase) -> AsyncPgConnection {
    AsyncPgConnection::establish(db.url()).await.unwrap()
}

#[tokio::test]
async fn every_table_of_the_design_exists() {
    let db = TestDatabase::new().await;
    let mut conn = connect(&db).await;
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    for expected in [
        "organizations",
        "users",
        "sessions",
        "api_keys",
        "invitations",
        "password_resets",
        "agents",
        "knowledge_base_entries",
        "documents",
        "call_logs",
        "analytics_daily",
        "integrations",
        "provider_integrations",
        "webhooks",
        "webhook_deliveries",
        "email_outbox",
        "audit_logs",
    ] {
        assert!(
            names.contains(&expected),
            "missing table {expected}: {names:?}"
        );
    }
}

#[tokio::test]
async fn at_least_forty_indexes_and_each_names_its_query() {
    let db = TestDatabase::new().await;
    let mut conn = connect(&db).await;
    let total: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND NOT i.indisprimary",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert!(total.n >= 40, "only {} secondary indexes", total.n);
    let uncommented: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_namespace s ON s.oid = c.relnamespace
         WHERE s.nspname = 'public' AND NOT i.indisprimary
           AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'serves:%'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let names: Vec<String> = uncommented.into_iter().map(|n| n.name).collect();
    assert!(
        names.is_empty(),
        "indexes without a 'serves:' comment: {names:?}"
    );
}

#[tokio::test]
async fn migrating_twice_applies_nothing_the_second_time() {
    let db = TestDatabase::new().await;
    let applied = storage::migrations::run_pending(db.url()).await.unwrap();
    assert!(
        applied.is_empty(),
        "template was already migrated: {applied:?}"
    );
    assert!(!storage::migrations::has_pending(db.url()).await.unwrap());
}

#[tokio::test]
async fn delete_rules_keep_call_history_and_drop_document_chunks() {
    let db = TestDatabase::new().await;
    let mut conn = connect(&db).await;
    diesel::sql_query(
        "WITH o AS (INSERT INTO organizations (name) VALUES ('Acme') RETURNING id),
              a AS (INSERT INTO agents (organization_id, name) SELECT id, 'Ava' FROM o RETURNING id, organization_id),
              c AS (INSERT INTO call_logs (organization_id, agent_id, conversation_id, status)
                    SELECT organization_id, id, 'conv-1', 'completed' FROM a RETURNING id),
              d AS (INSERT INTO documents (organization_id, original_name, content_type, size_bytes, storage_key)
                    SELECT id, 'a.txt', 'text/plain', 3, 'k1' FROM o RETURNING id, organization_id)
         INSERT INTO knowledge_base_entries (organization_id, document_id, chunk_index, title, content)
         SELECT organization_id, id, 0, 'a.txt', 'hello' FROM d",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    diesel::sql_query("DELETE FROM agents")
        .execute(&mut conn)
        .await
        .unwrap();
    let calls: Count =
        diesel::sql_query("SELECT count(*) AS n FROM call_logs WHERE agent_id IS NULL")
            .get_result(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        calls.n, 1,
        "deleting an agent keeps its calls with agent_id NULL"
    );
    diesel::sql_query("DELETE FROM documents")
        .execute(&mut conn)
        .await
        .unwrap();
    let chunks: Count = diesel::sql_query("SELECT count(*) AS n FROM knowledge_base_entries")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(chunks.n, 0, "deleting a document removes its chunks");
    let duplicate = diesel::sql_query(
        "INSERT INTO call_logs (organization_id, conversation_id, status)
         SELECT organization_id, conversation_id, status FROM call_logs",
    )
    .execute(&mut conn)
    .await;
    assert!(
        duplicate.is_err(),
        "conversation id is unique per organization"
    );
    let email_case = diesel::sql_query(
        "INSERT INTO users (organization_id, email, password_hash, name)
         SELECT id, 'Bob@Example.com', 'x', 'Bob' FROM organizations UNION ALL
         SELECT id, 'bob@example.COM', 'x', 'Bob' FROM organizations",
    )
    .execute(&mut conn)
    .await;
    assert!(email_case.is_err(), "e-mail is unique case-insensitively");
}
