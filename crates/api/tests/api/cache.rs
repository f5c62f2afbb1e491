//! The cache on every cached route: a repeated read is a hit (of either
//! level), and a read after a write never shows the old value. Without
//! Redis every route still answers, from Postgres.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{Options, RequestExt, TestApp, TestUser, spawn_app, spawn_app_with};

/// `HIT` for an answer of either cache level (`HIT-LOCAL` from this
/// instance's memory, `HIT` from Redis; `cache_levels.rs` tells them apart),
/// else `MISS`.
fn cache_header(response: &Response) -> String {
    let header = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if header == "HIT-LOCAL" {
        "HIT".into()
    } else {
        header
    }
}

/// GETs (or POSTs `body` to) `path` and returns the X-Cache header and body.
async fn read(app: &TestApp, user: &TestUser, path: &str, body: Option<&Value>) -> (String, Value) {
    let request = match body {
        Some(body) => app.authed(Method::POST, path, user).json(body),
        None => app.authed(Method::GET, path, user),
    };
    let response = request.sent().await;
    assert_eq!(response.status(), 200, "{path}");
    let header = cache_header(&response);
    (header, response.json().await.unwrap())
}

async fn write(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> Value {
    let response = app.authed(method, path, user).json(&body).sent().await;
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

#[tokio::test]
async fn agents_list_and_detail_hit_then_follow_writes() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let (first, list) = read(&app, &owner, "/api/agents", None).await;
    assert_eq!((first.as_str(), list["total"].as_i64()), ("MISS", Some(0)));
    assert_eq!(read(&app, &owner, "/api/agents", None).await.0, "HIT");

    let agent = write(
        &app,
        &owner,
        Method::POST,
        "/api/agents",
        json!({"name": "Ava"}),
    )
    .await;
    let (header, list) = read(&app, &owner, "/api/agents", None).await;
    assert_eq!((header.as_str(), list["total"].as_i64()), ("MISS", Some(1)));

    let path = format!("/api/agents/{}", agent["id"].as_str().unwrap());
    assert_eq!(read(&app, &owner, &path, None).await.1["name"], "Ava");
    assert_eq!(read(&app, &owner, &path, None).await.0, "HIT");
    write(&app, &owner, Method::PATCH, &path, json!({"name": "Ava 2"})).await;
    assert_eq!(read(&app, &owner, &path, None).await.1["name"], "Ava 2");

    let deleted = app.authed(Method::DELETE, &path, &owner).sent().await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.authed(Method::GET, &path, &owner).sent().await.status(),
        404
    );
    assert_eq!(read(&app, &owner, "/api/agents", None).await.1["total"], 0);
}

#[tokio::test]
async fn cached_answers_are_per_organization() {
    let app = spawn_app().await;
    let a = app.new_org_user("owner").await;
    let b = app.new_org_user("owner").await;
    write(
        &app,
        &a,
        Method::POST,
        "/api/agents",
        json!({"name": "Only in A"}),
    )
    .await;
    assert_eq!(read(&app, &a, "/api/agents", None).await.1["total"], 1);
    assert_eq!(read(&app, &a, "/api/agents", None).await.0, "HIT");
    let (header, list) = read(&app, &b, "/api/agents", None).await;
    assert_eq!((header.as_str(), list["total"].as_i64()), ("MISS", Some(0)));
}

#[tokio::test]
async fn analytics_overview_follows_agent_changes() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let (_, overview) = read(&app, &owner, "/api/analytics/overview", None).await;
    assert_eq!(overview["activeAgents"], 0);
    assert_eq!(
        read(&app, &owner, "/api/analytics/overview", None).await.0,
        "HIT"
    );
    write(
        &app,
        &owner,
        Method::POST,
        "/api/agents",
        json!({"name": "Ava"}),
    )
    .await;
    let (header, overview) = read(&app, &owner, "/api/analytics/overview", None).await;
    assert_eq!(
        (header.as_str(), overview["activeAgents"].as_i64()),
        ("MISS", Some(1))
    );
}

#[tokio::test]
async fn knowledge_base_stats_and_search_follow_entry_writes() {
    let app = spawn_app().await;
    let member = app.new_org_user("admin").await;
    let search = json!({"query": "zebra migration", "maxResults": 5});
    let (_, stats) = read(&app, &member, "/api/knowledge-base/stats", None).await;
    assert_eq!(stats["totalEntries"], 0);
    assert_eq!(
        read(&app, &member, "/api/knowledge-base/stats", None)
            .await
            .0,
        "HIT"
    );
    assert_eq!(
        read(&app, &member, "/api/knowledge-base/search", Some(&search))
            .await
            .1["total"],
        0
    );
    assert_eq!(
        read(&app, &member, "/api/knowledge-base/search", Some(&search))
            .await
            .0,
        "HIT"
    );

    let entry = write(
        &app,
        &member,
        Method::POST,
        "/api/knowledge-base/entries",
        json!({"title": "Zebra facts", "content": "The zebra migration crosses the Mara river.", "category": "wildlife"}),
    )
    .await;
    assert_eq!(
        read(&app, &member, "/api/knowledge-base/stats", None)
            .await
            .1["totalEntries"],
        1
    );
    let (header, found) = read(&app, &member, "/api/knowledge-base/search", Some(&search)).await;
    assert_eq!(
        (header.as_str(), found["total"].as_i64()),
        ("MISS", Some(1))
    );

    let path = format!(
        "/api/knowledge-base/entries/{}",
        entry["id"].as_str().unwrap()
    );
    write(
        &app,
        &member,
        Method::PATCH,
        &path,
        json!({"content": "Nothing about that animal any more."}),
    )
    .await;
    assert_eq!(
        read(&app, &member, "/api/knowledge-base/search", Some(&search))
            .await
            .1["total"],
        0
    );
    assert_eq!(
        app.authed(Method::DELETE, &path, &member)
            .sent()
            .await
            .status(),
        204
    );
    assert_eq!(
        read(&app, &member, "/api/knowledge-base/stats", None)
            .await
            .1["totalEntries"],
        0
    );
}

#[tokio::test]
async fn providers_and_integrations_follow_writes() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    assert_eq!(
        read(&app, &owner, "/api/providers", None).await.1["total"],
        0
    );
    assert_eq!(read(&app, &owner, "/api/providers", None).await.0, "HIT");
    let provider = write(
        &app,
        &owner,
        Method::POST,
        "/api/providers",
        json!({"providerType": "llm", "providerName": "openai", "displayName": "Main", "credentials": {"apiKey": "sk-test-1234"}}),
    )
    .await;
    assert_eq!(
        read(&app, &owner, "/api/providers", None).await.1["total"],
        1
    );
    let path = format!("/api/providers/{}", provider["id"].as_str().unwrap());
    assert_eq!(
        read(&app, &owner, &path, None).await.1["displayName"],
        "Main"
    );
    assert_eq!(read(&app, &owner, &path, None).await.0, "HIT");
    write(
        &app,
        &owner,
        Method::PUT,
        &path,
        json!({"providerName": "openai", "displayName": "Renamed"}),
    )
    .await;
    assert_eq!(
        read(&app, &owner, &path, None).await.1["displayName"],
        "Renamed"
    );
    write(
        &app,
        &owner,
        Method::POST,
        &format!("{path}/set-primary"),
        json!({}),
    )
    .await;
    assert_eq!(read(&app, &owner, &path, None).await.1["isPrimary"], true);

    let (_, integrations) = read(&app, &owner, "/api/integrations", None).await;
    assert_eq!(integrations["data"].as_array().unwrap().len(), 0);
    assert_eq!(read(&app, &owner, "/api/integrations", None).await.0, "HIT");
    write(
        &app,
        &owner,
        Method::POST,
        "/api/integrations",
        json!({"provider": "elevenlabs", "credentials": {"apiKey": "xi-test-9876"}}),
    )
    .await;
    let (header, integrations) = read(&app, &owner, "/api/integrations", None).await;
    assert_eq!(
        (
            header.as_str(),
            integrations["data"].as_array().unwrap().len()
        ),
        ("MISS", 1)
    );
}

#[tokio::test]
async fn every_cached_route_answers_without_redis() {
    let app = spawn_app_with(Options {
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..Options::default()
    })
    .await;
    let owner = app.new_org_user("owner").await;
    write(
        &app,
        &owner,
        Method::POST,
        "/api/agents",
        json!({"name": "Ava"}),
    )
    .await;
    for path in [
        "/api/agents",
        "/api/analytics/overview",
        "/api/knowledge-base/stats",
        "/api/providers",
        "/api/integrations",
    ] {
        for _ in 0..2 {
            let (header, _) = read(&app, &owner, path, None).await;
            assert_eq!(header, "MISS", "{path} is served from Postgres");
        }
    }
    let (_, found) = read(
        &app,
        &owner,
        "/api/knowledge-base/search",
        Some(&json!({"query": "anything"})),
    )
    .await;
    assert_eq!(found["total"], 0);
    let body: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
}
