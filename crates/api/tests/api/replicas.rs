//! Read replicas through the HTTP API, against a private primary and two
//! streaming replicas: with replay paused on both, an organization that
//! writes reads its write at once (its reads, cached or not, go to the
//! primary), another organization's reads go to the replicas, and `/health`
//! lists each replica without its credentials.

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::Method;
use serde_json::{Value, json};
use storage::test_support::pg_cluster::PgCluster;

use crate::helpers::{Options, RequestExt, TestApp, spawn_app_with};

async fn health(app: &TestApp) -> Value {
    app.get("/health").await.json().await.unwrap()
}

/// Polls `/health` until every replica is in `state` (a state never
/// reached fails after a minute).
async fn wait_for_replicas(app: &TestApp, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let report = health(app).await;
        let replicas = report["replicas"].as_array().cloned().unwrap_or_default();
        if replicas.len() == 2 && replicas.iter().all(|r| r["state"] == state) {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "replicas never {state}: {report}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn replica_reads(report: &Value) -> u64 {
    report["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reads"].as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_read_their_writes_while_replicas_lag() {
    let cluster = PgCluster::start(2).await;
    let options = Options {
        database_url: Some(cluster.primary_url()),
        replica_urls: (0..2).map(|i| cluster.replica_url(i)).collect(),
        ..Options::default()
    };
    let app = spawn_app_with(options).await;
    let report = wait_for_replicas(&app, "ok").await;
    let replica = &report["replicas"][0];
    assert_eq!(
        replica["name"],
        format!("127.0.0.1:{}/esx", cluster.replicas[0].port)
    );
    assert!(
        replica["lagMs"].is_u64() || replica["lag_ms"].is_u64(),
        "{replica}"
    );
    assert!(replica["pool"]["max"].is_u64(), "{replica}");

    let writer = app.new_org_user("owner").await;
    let reader = app.new_org_user("owner").await;
    // Both replicas stop applying the primary's changes.
    let mut paused = Vec::new();
    for i in 0..2 {
        let mut conn = AsyncPgConnection::establish(&cluster.replica_url(i))
            .await
            .unwrap();
        diesel::sql_query("SELECT pg_wal_replay_pause()")
            .execute(&mut conn)
            .await
            .unwrap();
        paused.push(conn);
    }
    let before = replica_reads(&health(&app).await);

    let created = app
        .authed(Method::POST, "/api/agents", &writer)
        .json(&json!({ "name": "Reception" }))
        .sent()
        .await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["id"].clone();
    // At once, twice (the second answer comes from the cache the first filled).
    for _ in 0..2 {
        let list: Value = app
            .authed(Method::GET, "/api/agents", &writer)
            .sent()
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["data"][0]["id"], id, "{list}");
    }
    let single = app
        .authed(
            Method::GET,
            &format!("/api/agents/{}", id.as_str().unwrap()),
            &writer,
        )
        .sent()
        .await;
    assert_eq!(single.status(), 200);
    // The writer's reads did not touch a replica; the other organization's do.
    assert_eq!(replica_reads(&health(&app).await), before);
    let users = app.authed(Method::GET, "/api/users", &reader).sent().await;
    assert_eq!(users.status(), 200);
    let after = health(&app).await;
    assert_eq!(replica_reads(&after), before + 1, "{after}");
    assert!(!after.to_string().contains("postgres@"), "{after}");
    for mut conn in paused {
        diesel::sql_query("SELECT pg_wal_replay_resume()")
            .execute(&mut conn)
            .await
            .unwrap();
    }
}
