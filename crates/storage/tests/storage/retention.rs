//! Retention: expired sessions are purged, live ones stay.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use storage::models::{organizations, sessions, users};
use storage::test_support::TestDatabase;

#[tokio::test]
async fn expired_sessions_are_purged_and_live_ones_kept() {
    let db = TestDatabase::new().await;
    let mut conn = AsyncPgConnection::establish(db.url()).await.unwrap();
    let org = organizations::insert(
        &mut conn,
        &organizations::NewOrganization {
            name: "Acme".into(),
            subdomain: None,
            plan: "free".into(),
            max_agents: 1,
            max_users: 1,
        },
    )
    .await
    .unwrap();
    let user = users::insert(
        &mut conn,
        &users::NewUser {
            organization_id: org.id,
            email: "a@example.com".into(),
            password_hash: "x".into(),
            name: "A".into(),
            role: "owner".into(),
        },
    )
    .await
    .unwrap();
    let now = Utc::now();
    for (token, expires_at) in [
        ("old", now - Duration::days(10)),
        ("live", now + Duration::hours(1)),
    ] {
        sessions::insert(
            &mut conn,
            &sessions::NewSession {
                user_id: user.id,
                organization_id: org.id,
                token_hash: crypto::token_digest(token),
                expires_at,
                user_agent: None,
                ip: None,
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(
        sessions::purge_expired(&mut conn, now - Duration::days(7))
            .await
            .unwrap(),
        1
    );
    let left: Vec<Vec<u8>> = storage::schema::sessions::table
        .select(storage::schema::sessions::token_hash)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, vec![crypto::token_digest("live")]);
}
