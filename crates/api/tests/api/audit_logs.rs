//! The audit trail: owners and admins read their organization's rows.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, spawn_app};

#[tokio::test]
async fn audit_rows_are_listed_filtered_and_scoped() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    let path = format!("/api/users/{}", member.user_id);
    app.authed(Method::PATCH, &path, &owner)
        .json(&json!({"role": "admin"}))
        .sent()
        .await;
    app.authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "k"}))
        .sent()
        .await;
    app.register().await; // another organization's rows stay out

    let response = app
        .authed(Method::GET, "/api/audit-logs?limit=2", &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["total"], 3);
    assert_eq!(body["pageSize"], 2);
    let row = &body["data"][0];
    assert_eq!(row["action"], "api_key.created");
    assert_eq!(row["entityType"], "api_key");
    assert_eq!(row["userId"], owner.user_id.to_string());
    assert!(row["createdAt"].is_string() && row.get("requestId").is_some());

    let filtered = format!(
        "/api/audit-logs?entityType=user&entityId={}",
        member.user_id
    );
    let body: Value = app
        .authed(Method::GET, &filtered, &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 1);
    assert_eq!(body["data"][0]["action"], "user.role_changed");
    assert_eq!(body["data"][0]["changes"]["role"]["to"], "admin");

    let bad = app
        .authed(Method::GET, "/api/audit-logs?entityId=nope", &owner)
        .sent()
        .await;
    assert_eq!(bad.status(), 422);
    let bad = app
        .authed(Method::GET, "/api/audit-logs?limit=101", &owner)
        .sent()
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn members_cannot_read_the_audit_trail() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    assert_eq!(
        app.authed(Method::GET, "/api/audit-logs", &member)
            .sent()
            .await
            .status(),
        403
    );
    assert_eq!(app.get("/api/audit-logs").await.status(), 401);
}
