//! The first-level (in-process) cache with two real instances on one
//! database and one Redis: `X-Cache` tells which level answered, a write on
//! one instance is never served stale by the other once it returned (token
//! revocation included), and without Redis both serve from Postgres.

use kv::test_support::PrivateRedis;
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::{Options, RequestExt, spawn_app, spawn_app_with};

async fn send(request: RequestBuilder) -> (u16, String, Value) {
    let response = request.sent().await;
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-cache")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, cache, response.json().await.unwrap_or(Value::Null))
}

/// Reads `request()` until an instance answers it from memory (its bus
/// listener starts in the background); fails only if that never happens.
async fn until_local(request: impl Fn() -> RequestBuilder) -> Value {
    for _ in 0..400 {
        let (status, cache, body) = send(request()).await;
        assert_eq!(status, 200);
        if cache == "HIT-LOCAL" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("never answered from the first level");
}

#[tokio::test]
async fn x_cache_names_the_level_that_answered() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let peer = app.spawn_peer().await;
    let (_, first, _) = send(app.authed(Method::GET, "/api/agents", &owner)).await;
    assert_eq!(first, "MISS");
    // The peer has never seen it: Redis answers, then its own memory.
    let (_, second, _) = send(peer.authed(Method::GET, "/api/agents", &owner)).await;
    assert!(second.starts_with("HIT"), "{second}");
    until_local(|| peer.authed(Method::GET, "/api/agents", &owner)).await;
}

#[tokio::test]
async fn a_write_on_one_instance_is_never_served_stale_by_another() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let peer = app.spawn_peer().await;
    let created = send(
        app.authed(Method::POST, "/api/agents", &owner)
            .json(&json!({"name": "v0"})),
    )
    .await
    .2;
    let path = format!("/api/agents/{}", created["id"].as_str().unwrap());
    until_local(|| peer.authed(Method::GET, &path, &owner)).await;
    until_local(|| peer.authed(Method::GET, "/api/agents", &owner)).await;
    for round in 1..8 {
        let name = format!("v{round}");
        let (status, _, _) = send(
            app.authed(Method::PATCH, &path, &owner)
                .json(&json!({"name": name})),
        )
        .await;
        assert_eq!(status, 200);
        // The very next reads on the other instance see the write.
        let (_, cache, one) = send(peer.authed(Method::GET, &path, &owner)).await;
        assert_eq!(
            (one["name"].as_str(), cache.as_str()),
            (Some(name.as_str()), "MISS")
        );
        let (_, _, list) = send(peer.authed(Method::GET, "/api/agents", &owner)).await;
        assert_eq!(list["data"][0]["name"], name.as_str());
        until_local(|| peer.authed(Method::GET, &path, &owner)).await;
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_fails_on_the_other_at_once() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let peer = app.spawn_peer().await;
    // The peer resolves the token from memory by now: its first level is
    // live (answers come from it) and the token was resolved through it.
    until_local(|| peer.authed(Method::GET, "/api/agents", &owner)).await;
    let (status, _, _) = send(app.authed(Method::POST, "/api/auth/logout", &owner)).await;
    assert_eq!(status, 204);
    let (status, _, _) = send(peer.authed(Method::GET, "/api/agents", &owner)).await;
    assert_eq!(status, 401);
    let (status, _, _) = send(app.authed(Method::GET, "/api/agents", &owner)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn with_redis_gone_both_instances_serve_fresh_answers_from_postgres() {
    let mut redis = PrivateRedis::start();
    let app = spawn_app_with(Options {
        redis_url: Some(redis.url()),
        ..Options::default()
    })
    .await;
    let owner = app.new_org_user("owner").await;
    let peer = app.spawn_peer().await;
    let before = until_local(|| peer.authed(Method::GET, "/api/agents", &owner)).await;
    assert_eq!(before["total"], 0);
    redis.stop();
    // The invalidation of this write cannot be sent; the write still
    // succeeds, and returns once no first level can serve what it held.
    let (status, _, _) = send(
        app.authed(Method::POST, "/api/agents", &owner)
            .json(&json!({"name": "Ava"})),
    )
    .await;
    assert_eq!(status, 201);
    for _ in 0..3 {
        let (status, cache, list) = send(peer.authed(Method::GET, "/api/agents", &owner)).await;
        assert_eq!(
            (status, cache.as_str(), list["total"].as_i64()),
            (200, "MISS", Some(1))
        );
    }
}

#[tokio::test]
async fn a_cached_profile_follows_logins_and_role_changes_on_another_instance() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let admin = app
        .add_user(&owner.organization_id, "admin", "profile")
        .await;
    app.set_password(admin.user_id, "profile password 1").await;
    let peer = app.spawn_peer().await;
    let before = until_local(|| peer.authed(Method::GET, "/api/user/profile", &admin)).await;
    assert_eq!(before["lastLoginAt"], Value::Null);
    // A login on one instance: the other's profile shows it at once.
    let login = app.login(&admin.email, "profile password 1").await;
    assert_eq!(login.status(), 200);
    let (_, cache, after) = send(peer.authed(Method::GET, "/api/user/profile", &admin)).await;
    assert_eq!(cache, "MISS");
    assert!(after["lastLoginAt"].is_string(), "{after}");
    // The admin's API key reads the admin's profile; demoting the admin on
    // one instance changes what the other answers through the key.
    let created = send(
        app.authed(Method::POST, "/api/api-keys", &admin)
            .json(&json!({"name": "profile key"})),
    )
    .await
    .2;
    let key = crate::helpers::TestUser {
        token: created["key"].as_str().unwrap().to_owned(),
        ..admin.clone()
    };
    let cached = until_local(|| peer.authed(Method::GET, "/api/user/profile", &key)).await;
    assert_eq!(cached["role"], "admin");
    let path = format!("/api/users/{}", admin.user_id);
    let (status, _, _) = send(
        app.authed(Method::PATCH, &path, &owner)
            .json(&json!({"role": "member"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, demoted) = send(peer.authed(Method::GET, "/api/user/profile", &key)).await;
    assert_eq!((status, demoted["role"].as_str()), (200, Some("member")));
}
