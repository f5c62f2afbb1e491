//! `/api/agents`: CRUD, validation, roles, plan limit, tenant isolation.

// Helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, TestApp, TestUser, fetch, spawn_app};

async fn create(app: &TestApp, user: &TestUser, body: Value) -> reqwest::Response {
    app.authed(Method::POST, "/api/agents", user)
        .json(&body)
        .sent()
        .await
}

async fn create_ok(app: &TestApp, user: &TestUser, name: &str) -> Value {
    let response = create(app, user, json!({ "name": name })).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn audit_actions(app: &TestApp, org: uuid::Uuid) -> Vec<String> {
    use storage::schema::audit_logs;
    let mut conn = app.state.db.get().await.unwrap();
    audit_logs::table
        .filter(audit_logs::organization_id.eq(org))
        .order(audit_logs::created_at.asc())
        .select(audit_logs::action)
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn create_read_update_delete_with_audit() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let response = create(
        &app,
        &owner,
        json!({
            "name": "  Reception  ", "description": "Front desk", "firstMessage": "Hello!",
            "systemPrompt": "Be kind.", "language": "pt-BR", "voiceId": "voice-1",
            "voiceSettings": {"stability": 0.5}, "llmSettings": {"model": "x"}, "tools": [{"name": "book"}],
            "externalAgentId": "agent_abc", "isActive": false
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["name"], "Reception");
    assert_eq!(created["platform"], "elevenlabs");
    assert_eq!(created["language"], "pt-BR");
    assert_eq!(created["voiceSettings"]["stability"], 0.5);
    assert_eq!(created["tools"][0]["name"], "book");
    assert_eq!(created["externalAgentId"], "agent_abc");
    assert_eq!(created["isActive"], false);
    let id = created["id"].as_str().unwrap();

    let got: Value = app
        .authed(Method::GET, &format!("/api/agents/{id}"), &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, created);

    let list: Value = app
        .authed(Method::GET, "/api/agents", &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert_eq!(list["pageSize"], 20);
    assert_eq!(list["totalPages"], 1);
    assert_eq!(list["data"][0]["id"], id);

    // Absent fields stay, null clears, values change.
    let response = app
        .authed(Method::PATCH, &format!("/api/agents/{id}"), &owner)
        .json(&json!({ "name": "Front desk", "description": null, "voiceId": null, "isActive": true }))
        .sent().await;
    assert_eq!(response.status(), 200);
    let patched: Value = response.json().await.unwrap();
    assert_eq!(patched["name"], "Front desk");
    assert_eq!(patched["description"], Value::Null);
    assert_eq!(patched["voiceId"], Value::Null);
    assert_eq!(patched["firstMessage"], "Hello!");
    assert_eq!(patched["externalAgentId"], "agent_abc");
    assert_eq!(patched["isActive"], true);

    let response = app
        .authed(Method::DELETE, &format!("/api/agents/{id}"), &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 204);
    let response = app
        .authed(Method::GET, &format!("/api/agents/{id}"), &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        audit_actions(&app, owner.organization_id).await,
        ["agent.created", "agent.updated", "agent.deleted"]
    );
}

/// Postgres prints a jsonb number such as f64::MAX as its 309 digits; the
/// row must still read back (it answered 500 when serde_json's fast float
/// parser rounded those digits past f64::MAX).
#[tokio::test]
async fn settings_holding_the_largest_float_read_back_as_sent() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let agent = create_ok(&app, &owner, "A").await;
    let path = format!("/api/agents/{}", agent["id"].as_str().unwrap());
    let settings = json!({"a": {"b": f64::MAX, "c": -f64::MAX, "d": 5e-324}});
    let response = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({ "llmSettings": settings }))
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let (status, body) = fetch(app.authed(Method::GET, &path, &owner)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["llmSettings"], settings);
}

#[tokio::test]
async fn invalid_bodies_answer_422_naming_each_field() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let response = create(
        &app,
        &owner,
        json!({ "language": "English", "voiceSettings": [1], "tools": {}, "platform": "skype", "externalAgentId": "" }),
    )
    .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let fields = &body["error"]["details"]["fields"];
    for field in [
        "name",
        "language",
        "voiceSettings",
        "tools",
        "platform",
        "externalAgentId",
    ] {
        assert!(fields.get(field).is_some(), "{field} missing in {body}");
    }
    let response = create(&app, &owner, json!({ "name": "   " })).await;
    assert_eq!(response.status(), 422);
    let response = create(&app, &owner, json!({ "name": "x".repeat(201) })).await;
    assert_eq!(response.status(), 422);

    let agent = create_ok(&app, &owner, "A").await;
    let path = format!("/api/agents/{}", agent["id"].as_str().unwrap());
    let response = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({ "llmSettings": "fast" }))
        .sent()
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["details"]["fields"]["llmSettings"].is_string());
    let response = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({ "name": null, "isActive": null, "tools": null }))
        .sent()
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    for field in ["name", "isActive", "tools"] {
        assert_eq!(
            body["error"]["details"]["fields"][field],
            "must not be null"
        );
    }
    // Malformed JSON is 400, not 422.
    let response = app
        .authed(Method::POST, "/api/agents", &owner)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .sent()
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn members_read_but_only_owners_and_admins_write() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let admin = app.add_user(&owner.organization_id, "admin", "a").await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    let agent = create_ok(&app, &admin, "By admin").await;
    let path = format!("/api/agents/{}", agent["id"].as_str().unwrap());

    assert_eq!(
        create(&app, &member, json!({ "name": "x" })).await.status(),
        403
    );
    let patch = app
        .authed(Method::PATCH, &path, &member)
        .json(&json!({ "name": "y" }))
        .sent()
        .await;
    assert_eq!(patch.status(), 403);
    assert_eq!(
        app.authed(Method::DELETE, &path, &member)
            .sent()
            .await
            .status(),
        403
    );
    assert_eq!(
        app.authed(Method::GET, &path, &member)
            .sent()
            .await
            .status(),
        200
    );
    assert_eq!(
        app.authed(Method::GET, "/api/agents", &member)
            .sent()
            .await
            .status(),
        200
    );
    assert_eq!(app.get("/api/agents").await.status(), 401);
}

#[tokio::test]
async fn other_organizations_and_malformed_ids_get_404() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let stranger = app.new_org_user("owner").await;
    let agent = create_ok(&app, &owner, "Mine").await;
    let path = format!("/api/agents/{}", agent["id"].as_str().unwrap());
    let unknown = format!("/api/agents/{}", uuid::Uuid::new_v4());
    for path in [path.as_str(), unknown.as_str(), "/api/agents/not-a-uuid"] {
        let get = app.authed(Method::GET, path, &stranger).sent().await;
        assert_eq!(get.status(), 404, "GET {path}");
        let body: Value = get.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        let patch = app
            .authed(Method::PATCH, path, &stranger)
            .json(&json!({ "name": "x" }))
            .sent()
            .await;
        assert_eq!(patch.status(), 404, "PATCH {path}");
        assert_eq!(
            app.authed(Method::DELETE, path, &stranger)
                .sent()
                .await
                .status(),
            404,
            "DELETE {path}"
        );
    }
    let list: Value = app
        .authed(Method::GET, "/api/agents", &stranger)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    // The owner's agent is untouched.
    let got: Value = app
        .authed(Method::GET, &path, &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Mine");
}

#[tokio::test]
async fn the_plan_limit_answers_403() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    {
        use storage::schema::organizations;
        let mut conn = app.state.db.get().await.unwrap();
        diesel::update(organizations::table.find(owner.organization_id))
            .set(organizations::max_agents.eq(2))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    create_ok(&app, &owner, "One").await;
    create_ok(&app, &owner, "Two").await;
    let response = create(&app, &owner, json!({ "name": "Three" })).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "plan_limit_reached");
    assert_eq!(body["error"]["details"]["limit"], 2);
    let list: Value = app
        .authed(Method::GET, "/api/agents", &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn a_duplicate_external_agent_id_answers_409() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    assert_eq!(
        create(
            &app,
            &owner,
            json!({ "name": "A", "externalAgentId": "agent_1" })
        )
        .await
        .status(),
        201
    );
    let response = create(
        &app,
        &owner,
        json!({ "name": "B", "externalAgentId": "agent_1" }),
    )
    .await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "duplicate_external_agent_id");
    let b = create_ok(&app, &owner, "B").await;
    let path = format!("/api/agents/{}", b["id"].as_str().unwrap());
    let patch = app
        .authed(Method::PATCH, &path, &owner)
        .json(&json!({ "externalAgentId": "agent_1" }))
        .sent()
        .await;
    assert_eq!(patch.status(), 409);
}

#[tokio::test]
async fn lists_are_paginated_and_validated() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    for name in ["a", "b", "c"] {
        create_ok(&app, &owner, name).await;
    }
    let page: Value = app
        .authed(Method::GET, "/api/agents?page=2&limit=2", &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 3);
    assert_eq!(page["totalPages"], 2);
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    // Newest first: the last page holds the first agent.
    assert_eq!(page["data"][0]["name"], "a");
    for bad in ["?page=0", "?limit=0", "?limit=101", "?page=x"] {
        let response = app
            .authed(Method::GET, &format!("/api/agents{bad}"), &owner)
            .sent()
            .await;
        assert_eq!(response.status(), 422, "{bad}");
    }
}
