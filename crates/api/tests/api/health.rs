//! Health endpoints against a real database and Redis, and against ones
//! that are not there.

use crate::helpers::{Options, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_reports_real_pool_figures_when_healthy() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["connections"]["database"], "connected");
    assert_eq!(body["connections"]["redis"], "connected");
    assert_eq!(body["connections"]["queue"], "connected");
    assert_eq!(body["pool"]["max"], 4);
    assert!(
        body["pool"]["total"].as_u64().unwrap() >= 1,
        "the probe opened a connection: {body}"
    );
    assert_eq!(
        body["pool"]["total"].as_u64().unwrap(),
        body["pool"]["idle"].as_u64().unwrap() + body["pool"]["active"].as_u64().unwrap()
    );
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn live_and_ready_answer_200_on_a_migrated_database() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live").await.status(), 200);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn unreachable_database_is_unhealthy_and_not_ready() {
    let app = spawn_app_with(Options {
        database_url: Some("postgres://postgres@127.0.0.1:1/nothing".into()),
        ..Options::default()
    })
    .await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["connections"]["database"], "disconnected");
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "database_unreachable");
    assert_eq!(app.get("/health/live").await.status(), 200);
}

#[tokio::test]
async fn unreachable_redis_is_degraded_not_down() {
    let app = spawn_app_with(Options {
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..Options::default()
    })
    .await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["connections"]["redis"], "disconnected");
}

#[tokio::test]
async fn pending_migration_makes_the_instance_not_ready() {
    let app = spawn_app().await;
    // Forget the newest migration: the binary now has one the database lacks.
    let mut conn = app.state.db.get().await.unwrap();
    use diesel_async::RunQueryDsl;
    diesel::sql_query(
        "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["reason"], "migrations_pending");
}

#[tokio::test]
async fn unknown_route_answers_the_error_shape() {
    let app = spawn_app().await;
    let response = app.get("/nope").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}
