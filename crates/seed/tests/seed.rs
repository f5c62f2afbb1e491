//! The seeder with small counts: the test accounts can log in,
//! rows land where they should, the rollup matches, and a second run skips.

// Helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use storage::schema::{
    agents, analytics_daily, call_logs, knowledge_base_entries, organizations, users,
};
use storage::test_support::TestDatabase;

use seed::{SeedArgs, TEST_EMAILS, TEST_PASSWORD, run};

#[tokio::test]
async fn seeds_small_counts_and_skips_a_second_run() {
    let db = TestDatabase::new().await;
    let report = run(&SeedArgs::small(4, 500, 120), db.url()).await.unwrap();
    assert!(!report.skipped);
    assert_eq!(report.organizations, 4);
    assert_eq!(report.call_logs, 500);
    assert_eq!(report.kb_entries, 120);

    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    assert_eq!(
        organizations::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        4
    );
    assert_eq!(
        agents::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        12
    );
    assert_eq!(
        call_logs::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        500
    );
    assert_eq!(
        knowledge_base_entries::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        120
    );
    let rolled: Option<i64> = analytics_daily::table
        .select(diesel::dsl::sum(analytics_daily::calls))
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(rolled, Some(500));

    // Every test account exists, in its own organization, and its password
    // is password123 (argon2id).
    let mut orgs = Vec::new();
    for email in TEST_EMAILS {
        let (org, hash, role): (uuid::Uuid, String, String) = users::table
            .filter(users::email.eq(email))
            .select((users::organization_id, users::password_hash, users::role))
            .first(&mut conn)
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let parsed = argon2::PasswordHash::new(&hash).unwrap();
        use argon2::PasswordVerifier;
        assert!(
            argon2::Argon2::default()
                .verify_password(TEST_PASSWORD.as_bytes(), &parsed)
                .is_ok()
        );
        assert_eq!(role, "owner");
        let calls = call_logs::table
            .filter(call_logs::organization_id.eq(org))
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap();
        assert!(calls > 0, "{email} has no calls");
        orgs.push(org);
    }
    orgs.dedup();
    assert_eq!(orgs.len(), 3);

    // Full-text search finds seeded articles by their domain words.
    let hits: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM knowledge_base_entries WHERE search_vector @@ websearch_to_tsquery('english', 'refund OR firmware OR appointment OR deductible OR package')",
    )
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n;
    assert!(hits > 0);

    let again = run(&SeedArgs::small(4, 500, 120), db.url()).await.unwrap();
    assert!(again.skipped);
    let mut forced = SeedArgs::small(3, 200, 10);
    forced.force = true;
    let report = run(&forced, db.url()).await.unwrap();
    assert!(!report.skipped);
    assert_eq!(
        organizations::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        call_logs::table
            .count()
            .get_result::<i64>(&mut conn)
            .await
            .unwrap(),
        200
    );
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `echosenseix-seed --help` shows no secret taken from the environment.
#[test]
fn help_hides_secret_values() {
    let text = storage::test_cli::output_without_secrets(
        env!("CARGO_BIN_EXE_echosenseix-seed"),
        &["--help"],
        storage::test_cli::SECRETS,
    );
    assert!(text.contains("Usage"), "{text}");
    assert!(text.contains("[env: DATABASE_URL]"), "{text}");
}
