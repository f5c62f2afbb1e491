//! The hot list queries are prepared once per connection and then reused:
//! a statement diesel may not cache is prepared again on every call, a
//! round trip and a parse and plan in Postgres each time.

use chrono::Utc;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use storage::models::call_logs::{self, CallLogFilter, Cursor};
use storage::pagination::PageRequest;
use storage::test_support::TestDatabase;
use uuid::Uuid;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Statements of this connection that read call logs.
async fn prepared_call_log_statements(conn: &mut AsyncPgConnection) -> i64 {
    diesel::sql_query(
        // The pattern is split so that this statement does not match itself.
        "SELECT count(*) AS n FROM pg_prepared_statements \
         WHERE statement LIKE '%FROM ' || '\"call_logs\"%'",
    )
    .get_result::<Count>(conn)
    .await
    .unwrap()
    .n
}

#[tokio::test]
async fn call_log_pages_reuse_one_prepared_statement_per_shape() {
    let test = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(test.url()).await.unwrap();
    let (org, filter, page) = (
        Uuid::new_v4(),
        CallLogFilter::default(),
        PageRequest::new(1, 50).unwrap(),
    );
    let cursor = Cursor {
        started_at: Utc::now(),
        id: Uuid::new_v4(),
    };
    for _ in 0..3 {
        for transcripts in [false, true] {
            call_logs::page_list(&mut conn, org, &filter, page, None, transcripts)
                .await
                .unwrap();
            call_logs::page_list(&mut conn, org, &filter, page, Some(cursor), transcripts)
                .await
                .unwrap();
        }
    }
    assert_eq!(
        prepared_call_log_statements(&mut conn).await,
        4,
        "one statement for each of offset and keyset pages, with and without transcripts"
    );
}
