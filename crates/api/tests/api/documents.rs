//! `/api/documents`: uploads stored and queued, their limits and errors,
//! tenant isolation, and the whole path through an in-process worker to
//! knowledge-base search.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use jobs::Queue;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use storage::models::documents;
use uuid::Uuid;

use crate::helpers::{Options, RequestExt, TestApp, TestUser, spawn_app, spawn_app_with};

fn form(field: &str, name: &str, content_type: &str, bytes: Vec<u8>) -> Form {
    Form::new().part(
        field.to_owned(),
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(content_type)
            .unwrap(),
    )
}

async fn upload(app: &TestApp, user: &TestUser, form: Form) -> (u16, Value) {
    let response = app
        .authed(Method::POST, "/api/documents/upload", user)
        .multipart(form)
        .sent()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn pending(app: &TestApp, queue: Queue) -> u64 {
    app.state.jobs.queue_stats(queue).await.unwrap().pending
}

async fn stored_document(app: &TestApp, org: Uuid, id: Uuid) -> documents::Document {
    let mut conn = app.state.db.get().await.unwrap();
    documents::find(&mut conn, org, id).await.unwrap()
}

#[tokio::test]
async fn a_member_uploads_and_the_document_is_stored_queued_and_enqueued() {
    let app = spawn_app().await;
    app.leaves_jobs(
        jobs::Queue::DocumentProcessing,
        "the upload's processing job is asserted queued; no worker runs",
    );
    let member = app.new_org_user("member").await;
    let text = b"Return policy\n\nRefunds are issued within 14 days.\n".to_vec();

    let (status, body) = upload(
        &app,
        &member,
        form("document", "../Policy 2024.txt", "text/plain", text.clone()),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "queued");
    let id: Uuid = body["documentId"].as_str().unwrap().parse().unwrap();

    let doc = stored_document(&app, member.organization_id, id).await;
    assert_eq!(doc.status, "queued");
    assert_eq!(doc.original_name, "../Policy 2024.txt");
    assert_eq!(doc.content_type, "text/plain");
    assert_eq!(doc.size_bytes, text.len() as i64);
    assert_eq!(doc.uploaded_by, Some(member.user_id));
    assert_eq!(
        doc.storage_key,
        format!("{}/{id}/Policy_2024.txt", member.organization_id)
    );
    let file = app
        .state
        .files
        .store()
        .get(&object_store::path::Path::from(doc.storage_key.as_str()))
        .await
        .unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), text.as_slice());
    assert_eq!(pending(&app, Queue::DocumentProcessing).await, 1);

    let response = app
        .authed(Method::GET, &format!("/api/documents/{id}/status"), &member)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let status: Value = response.json().await.unwrap();
    assert_eq!(status["id"], id.to_string());
    assert_eq!(status["status"], "queued");
    assert_eq!(status["progress"], 0);
    assert_eq!(status["totalPages"], Value::Null);
    assert_eq!(status["processedPages"], 0);
    assert_eq!(status["chunkCount"], 0);
    assert_eq!(status["error"], Value::Null);
    assert!(status["createdAt"].is_string() && status["updatedAt"].is_string());

    let response = app
        .authed(Method::GET, "/api/documents?page=1&limit=10", &member)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["data"][0]["id"], id.to_string());
    assert_eq!(page["data"][0]["originalName"], "../Policy 2024.txt");
    assert_eq!(page["data"][0]["sizeBytes"], text.len());

    // Another organization sees nothing, and cannot tell the id exists.
    let stranger = app.new_org_user("owner").await;
    let other = app
        .authed(
            Method::GET,
            &format!("/api/documents/{id}/status"),
            &stranger,
        )
        .sent()
        .await;
    assert_eq!(other.status(), 404);
    let listed: Value = app
        .authed(Method::GET, "/api/documents", &stranger)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0);
    for path in [
        format!("/api/documents/{}/status", Uuid::new_v4()),
        "/api/documents/nope/status".into(),
    ] {
        assert_eq!(
            app.authed(Method::GET, &path, &member)
                .sent()
                .await
                .status(),
            404,
            "{path}"
        );
    }
    assert_eq!(app.get("/api/documents").await.status(), 401);
    let bad_page = app
        .authed(Method::GET, "/api/documents?limit=500", &member)
        .sent()
        .await;
    assert_eq!(bad_page.status(), 422);
}

#[tokio::test]
async fn uploads_past_the_limit_are_413_and_leave_nothing() {
    let mut server = api::config::ServerConfig::for_tests();
    server.upload_max_bytes = 1024;
    let app = spawn_app_with(Options {
        server,
        ..Options::default()
    })
    .await;
    app.leaves_jobs(
        jobs::Queue::DocumentProcessing,
        "the upload within the limit is queued; no worker runs",
    );
    let user = app.new_org_user("admin").await;

    let (status, body) = upload(
        &app,
        &user,
        form("document", "big.txt", "text/plain", vec![b'a'; 4096]),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_eq!(body["error"]["details"]["maxBytes"], 1024);

    // A file within the limit followed by a field past it: refused, and the
    // file already written is removed.
    let parts = form("document", "small.txt", "text/plain", b"hello".to_vec())
        .text("note", "x".repeat(4096));
    let (status, body) = upload(&app, &user, parts).await;
    assert_eq!(status, 413, "{body}");
    let prefix = object_store::path::Path::from(user.organization_id.to_string());
    let left: Vec<_> =
        futures::TryStreamExt::try_collect(app.state.files.store().list(Some(&prefix)))
            .await
            .unwrap();
    assert!(left.is_empty(), "{left:?}");

    // Exactly at the limit is fine.
    let (status, body) = upload(
        &app,
        &user,
        form("document", "ok.txt", "text/plain", vec![b'a'; 1024]),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let mut conn = app.state.db.get().await.unwrap();
    assert_eq!(
        documents::count(&mut conn, user.organization_id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(pending(&app, Queue::DocumentProcessing).await, 1);
}

#[tokio::test]
async fn unsupported_types_missing_fields_and_empty_files_are_refused() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;

    let (status, body) = upload(
        &app,
        &user,
        form(
            "document",
            "photo.png",
            "image/png",
            vec![0x89, b'P', b'N', b'G'],
        ),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert_eq!(body["error"]["code"], "unsupported_media_type");

    // A generic binary type with no known extension is refused too.
    let (status, _) = upload(
        &app,
        &user,
        form(
            "document",
            "blob",
            "application/octet-stream",
            b"x".to_vec(),
        ),
    )
    .await;
    assert_eq!(status, 415);

    // Not multipart at all.
    let response = app
        .authed(Method::POST, "/api/documents/upload", &user)
        .json(&json!({"document": "text"}))
        .sent()
        .await;
    assert_eq!(response.status(), 415);

    let (status, body) = upload(
        &app,
        &user,
        form("file", "a.txt", "text/plain", b"hello".to_vec()),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["details"]["fields"]["document"].is_string(),
        "{body}"
    );

    let (status, body) = upload(
        &app,
        &user,
        form("document", "a.txt", "text/plain", Vec::new()),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let response = app
        .client
        .post(app.url("/api/documents/upload"))
        .multipart(form("document", "a.txt", "text/plain", b"hello".to_vec()))
        .sent()
        .await;
    assert_eq!(response.status(), 401);

    let mut conn = app.state.db.get().await.unwrap();
    assert_eq!(
        documents::count(&mut conn, user.organization_id)
            .await
            .unwrap(),
        0
    );
    assert_eq!(pending(&app, Queue::DocumentProcessing).await, 0);
}

#[tokio::test]
async fn every_format_uploaded_is_found_through_search_after_the_worker_ran() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let outbox = std::env::temp_dir().join(format!("esx-outbox-{}", Uuid::new_v4().simple()));
    let fixtures = extract::test_support::fixtures();

    let mut uploaded = Vec::new();
    for fixture in &fixtures {
        let (status, body) = upload(
            &app,
            &user,
            form(
                "document",
                fixture.file_name,
                fixture.content_type,
                fixture.bytes.clone(),
            ),
        )
        .await;
        assert_eq!(status, 202, "{}: {body}", fixture.file_name);
        let id: Uuid = body["documentId"].as_str().unwrap().parse().unwrap();
        uploaded.push((fixture, id));
    }

    // Cache the answers of before the worker ran: the worker must drop them
    // when it writes the chunks, or the searches below would miss.
    let stats = |app: &crate::helpers::TestApp| {
        app.authed(Method::GET, "/api/knowledge-base/stats", &user)
            .send()
    };
    let before: Value = stats(&app).await.unwrap().json().await.unwrap();
    assert_eq!(before["totalEntries"], 0);
    for fixture in &fixtures {
        for phrase in fixture.expected {
            let body: Value = app
                .authed(Method::POST, "/api/knowledge-base/search", &user)
                .json(&json!({ "query": phrase, "maxResults": 50 }))
                .sent()
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(body["total"], 0, "nothing is searchable before processing");
        }
    }

    let worker = app.start_worker("document-processing", &outbox).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    for (fixture, id) in &uploaded {
        loop {
            let status: Value = app
                .authed(Method::GET, &format!("/api/documents/{id}/status"), &user)
                .sent()
                .await
                .json()
                .await
                .unwrap();
            match status["status"].as_str().unwrap() {
                "completed" => {
                    assert_eq!(status["progress"], 100, "{status}");
                    assert!(status["chunkCount"].as_i64().unwrap() >= 1, "{status}");
                    break;
                }
                "failed" => panic!("{} failed: {status}", fixture.file_name),
                _ if Instant::now() > deadline => {
                    panic!("{} not processed in time: {status}", fixture.file_name)
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    worker.join().await.unwrap();
    let after: Value = stats(&app).await.unwrap().json().await.unwrap();
    assert!(
        after["totalEntries"].as_i64().unwrap() >= fixtures.len() as i64,
        "{after}"
    );

    for (fixture, id) in &uploaded {
        for phrase in fixture.expected {
            let response = app
                .authed(Method::POST, "/api/knowledge-base/search", &user)
                .json(&json!({ "query": phrase, "maxResults": 50 }))
                .sent()
                .await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            let found = body["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["documentId"] == id.to_string());
            assert!(
                found,
                "{} not found by {phrase:?}: {body}",
                fixture.file_name
            );
        }
    }
    let _ = std::fs::remove_dir_all(outbox);
}
