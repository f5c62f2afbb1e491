//! Per-organization quotas on uploads (count, bytes) and knowledge-base
//! size: configurable defaults, an organization's own override, and 403
//! `quota_exceeded` past them.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Options, RequestExt, TestApp, TestUser, spawn_app_with};

async fn upload(app: &TestApp, user: &TestUser, bytes: &[u8]) -> (u16, Value) {
    let part = Part::bytes(bytes.to_vec())
        .file_name("notes.txt")
        .mime_str("text/plain")
        .unwrap();
    let response = app
        .authed(Method::POST, "/api/documents/upload", user)
        .multipart(Form::new().part("document", part))
        .sent()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn uploads_stop_at_the_document_count_and_byte_quotas() {
    let mut options = Options::default();
    options.server.org_max_documents = 2;
    options.server.org_max_document_bytes = 100;
    let app = spawn_app_with(options).await;
    app.leaves_jobs(
        jobs::Queue::DocumentProcessing,
        "the uploads within the quota are queued; no worker runs",
    );
    let member = app.new_org_user("member").await;

    assert_eq!(upload(&app, &member, &[b'a'; 60]).await.0, 202);
    let (status, body) = upload(&app, &member, &[b'b'; 60]).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "quota_exceeded");
    assert_eq!(body["error"]["details"]["quota"], "documentBytes");
    assert_eq!(body["error"]["details"]["used"], 60);
    assert_eq!(upload(&app, &member, &[b'c'; 40]).await.0, 202);
    let (status, body) = upload(&app, &member, b"d").await;
    assert_eq!(
        (status, body["error"]["details"]["quota"].clone()),
        (403, json!("documents"))
    );

    // Another organization has its own quota; an organization's own column
    // overrides the default.
    let other = app.new_org_user("member").await;
    assert_eq!(upload(&app, &other, b"e").await.0, 202);
    app.execute_sql(&format!(
        "UPDATE organizations SET max_documents = 3 WHERE id = '{}'",
        member.organization_id
    ))
    .await;
    let (status, body) = upload(&app, &member, b"f").await;
    assert_eq!(status, 403, "the byte quota still holds: {body}");
    app.execute_sql(&format!(
        "UPDATE organizations SET max_document_bytes = 1000 WHERE id = '{}'",
        member.organization_id
    ))
    .await;
    assert_eq!(upload(&app, &member, b"f").await.0, 202);
}

async fn entry(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    content: &str,
) -> (u16, Value) {
    let response = app
        .authed(method, path, user)
        .json(&json!({"title": "FAQ", "content": content}))
        .sent()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_knowledge_base_stops_at_its_byte_quota() {
    let mut options = Options::default();
    options.server.org_max_knowledge_base_bytes = 100;
    let app = spawn_app_with(options).await;
    let member = app.new_org_user("member").await;
    let path = "/api/knowledge-base/entries";

    let (status, first) = entry(&app, &member, Method::POST, path, &"a".repeat(60)).await;
    assert_eq!(status, 201);
    let (status, body) = entry(&app, &member, Method::POST, path, &"b".repeat(60)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "quota_exceeded");
    assert_eq!(body["error"]["details"]["quota"], "knowledgeBaseBytes");
    // Replacing an entry counts its new size in place of the old one.
    let id = first["id"].as_str().unwrap();
    let one = format!("{path}/{id}");
    assert_eq!(
        entry(&app, &member, Method::PATCH, &one, &"c".repeat(95))
            .await
            .0,
        200
    );
    assert_eq!(
        entry(&app, &member, Method::PATCH, &one, &"c".repeat(101))
            .await
            .0,
        403
    );
}
