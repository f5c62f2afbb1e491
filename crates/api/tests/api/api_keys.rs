//! API keys: created once-visible, listed by prefix, accepted as bearer
//! tokens, revoked at once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, spawn_app};

#[tokio::test]
async fn a_key_is_shown_once_works_as_a_bearer_token_and_stops_when_revoked() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let response = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "CI pipeline", "role": "admin"}))
        .sent()
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("esk_"));
    assert_eq!(created["prefix"], &key[..12]);
    assert_eq!(created["role"], "admin");
    assert!(created["lastUsedAt"].is_null());

    let list = app
        .authed(Method::GET, "/api/api-keys", &owner)
        .sent()
        .await;
    assert_eq!(list.status(), 200);
    let list_text = list.text().await.unwrap();
    assert!(!list_text.contains(&key));
    let list: Value = serde_json::from_str(&list_text).unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["prefix"], &key[..12]);

    // As a bearer token, with the key's role and organization.
    let users = app
        .client
        .get(app.url("/api/users"))
        .bearer_auth(&key)
        .sent()
        .await;
    assert_eq!(users.status(), 200);
    let keys = app
        .client
        .get(app.url("/api/api-keys"))
        .bearer_auth(&key)
        .sent()
        .await;
    assert_eq!(keys.status(), 200, "an admin key may list keys");
    let listed: Value = keys.json().await.unwrap();
    assert!(
        listed["data"][0]["lastUsedAt"].is_string(),
        "use is recorded"
    );
    // A key cannot mint keys.
    let mint = app
        .client
        .post(app.url("/api/api-keys"))
        .bearer_auth(&key)
        .json(&json!({"name": "x"}))
        .sent()
        .await;
    assert_eq!(mint.status(), 403);

    let id = created["id"].as_str().unwrap();
    let response = app
        .authed(Method::DELETE, &format!("/api/api-keys/{id}"), &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 204);
    let after = app
        .client
        .get(app.url("/api/users"))
        .bearer_auth(&key)
        .sent()
        .await;
    assert_eq!(after.status(), 401);
    let again = app
        .authed(Method::DELETE, &format!("/api/api-keys/{id}"), &owner)
        .sent()
        .await;
    assert_eq!(again.status(), 404);

    let actions = app.audit_actions(owner.organization_id).await;
    assert!(
        actions.contains(&"api_key.created".to_owned())
            && actions.contains(&"api_key.revoked".to_owned())
    );
}

#[tokio::test]
async fn member_keys_cannot_reach_admin_routes() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let created: Value = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "read only"}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["role"], "member");
    let key = created["key"].as_str().unwrap();
    assert_eq!(
        app.client
            .get(app.url("/api/users"))
            .bearer_auth(key)
            .sent()
            .await
            .status(),
        200
    );
    assert_eq!(
        app.client
            .get(app.url("/api/api-keys"))
            .bearer_auth(key)
            .sent()
            .await
            .status(),
        403
    );
    assert_eq!(
        app.client
            .get(app.url("/api/audit-logs"))
            .bearer_auth(key)
            .sent()
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn expired_keys_are_refused() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let created: Value = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "short lived"}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap();
    app.execute_sql("UPDATE api_keys SET expires_at = now() - interval '1 second'")
        .await;
    assert_eq!(
        app.client
            .get(app.url("/api/users"))
            .bearer_auth(key)
            .sent()
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn members_are_forbidden_and_input_is_validated() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    assert_eq!(
        app.authed(Method::GET, "/api/api-keys", &member)
            .sent()
            .await
            .status(),
        403
    );
    let response = app
        .authed(Method::POST, "/api/api-keys", &member)
        .json(&json!({"name": "x"}))
        .sent()
        .await;
    assert_eq!(response.status(), 403);

    let response = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": " ", "role": "owner", "expiresAt": "2001-01-01T00:00:00Z"}))
        .sent()
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields = body["error"]["details"]["fields"].as_object().unwrap();
    assert!(
        fields.contains_key("name")
            && fields.contains_key("role")
            && fields.contains_key("expiresAt")
    );
}

#[tokio::test]
async fn another_organizations_key_is_404() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let stranger = app.register().await;
    let created: Value = app
        .authed(Method::POST, "/api/api-keys", &stranger)
        .json(&json!({"name": "theirs"}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let response = app
        .authed(Method::DELETE, &format!("/api/api-keys/{id}"), &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 404);
    let key = created["key"].as_str().unwrap();
    assert_eq!(
        app.client
            .get(app.url("/api/users"))
            .bearer_auth(key)
            .sent()
            .await
            .status(),
        200
    );
    let list: Value = app
        .authed(Method::GET, "/api/api-keys", &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
}
