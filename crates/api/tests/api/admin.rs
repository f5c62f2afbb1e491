//! `/api/admin/queues`: the platform operator token (never an organization
//! role), queue statistics, and retries of dead jobs and failed rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jobs::{EmailJob, Queue};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use storage::models::email_outbox::{self, NewOutboxEmail};
use uuid::Uuid;

use crate::helpers::{Options, RequestExt, TestApp, spawn_app, spawn_app_with};

pub(crate) const TOKEN: &str = "operator-token-0123456789abcdef";

pub(crate) async fn operator_app() -> TestApp {
    let mut server = api::config::ServerConfig::for_tests();
    server.admin_token = Some(SecretString::from(TOKEN.to_owned()));
    spawn_app_with(Options {
        server,
        ..Options::default()
    })
    .await
}

async fn admin_call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.sent().await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A failed outbox mail whose job is dead, as the worker leaves it after
/// its last attempt: (row id, job id).
pub(crate) async fn dead_mail(app: &TestApp) -> (Uuid, String) {
    let mut conn = app.state.db.get().await.unwrap();
    let mail = email_outbox::insert(
        &mut conn,
        &NewOutboxEmail {
            organization_id: None,
            to_address: format!("{}@example.com", Uuid::new_v4().simple()),
            template: email_outbox::template::WELCOME.into(),
            data: json!({}),
        },
    )
    .await
    .unwrap();
    email_outbox::mark_failed(&mut conn, mail.id, "smtp said no")
        .await
        .unwrap();
    let job = app
        .state
        .jobs
        .push(&[EmailJob { email_id: mail.id }], None)
        .await
        .unwrap()
        .remove(0);
    let keys = app.state.jobs.keys(Queue::Email);
    let id = job.clone();
    let _: () = app
        .state
        .jobs
        .redis()
        .run(|mut c| async move {
            redis::pipe()
                .lrem(keys.active(), 0, &id)
                .ignore()
                .zrem(keys.scheduled(), &id)
                .ignore()
                .sadd(keys.dead(), &id)
                .ignore()
                .hset_multiple(
                    keys.meta(&id),
                    &[
                        ("status", "Killed"),
                        ("attempts", "5"),
                        ("result", "smtp said no"),
                    ],
                )
                .ignore()
                .query_async(&mut *c)
                .await
        })
        .await
        .unwrap();
    (mail.id, job)
}

async fn email_stats(app: &TestApp) -> Value {
    let (status, body) = admin_call(app, Method::GET, "/api/admin/queues", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    body["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"] == "email")
        .unwrap()
        .clone()
}

#[tokio::test]
async fn without_admin_token_the_routes_are_404() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    for (method, path) in [
        (Method::GET, "/api/admin/queues"),
        (Method::POST, "/api/admin/queues/email/jobs/x/retry"),
        (Method::POST, "/api/admin/queues/email/dead/retry"),
    ] {
        let (status, body) = admin_call(&app, method.clone(), path, Some(&owner.token)).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "admin_disabled");
        assert_eq!(admin_call(&app, method, path, None).await.0, 404);
    }
}

#[tokio::test]
async fn only_the_operator_token_opens_the_routes() {
    let app = operator_app().await;
    let owner = app.new_org_user("owner").await;
    for (method, path) in [
        (Method::GET, "/api/admin/queues"),
        (Method::POST, "/api/admin/queues/email/jobs/x/retry"),
        (Method::POST, "/api/admin/queues/email/dead/retry"),
    ] {
        for token in [
            None,
            Some("wrong-token-0123456789abcdef"),
            Some(&owner.token[..]),
            Some(&TOKEN[..10]),
        ] {
            let (status, body) = admin_call(&app, method.clone(), path, token).await;
            assert_eq!(status, 401, "{path} with {token:?}");
            assert_eq!(body["error"]["code"], "unauthorized");
        }
    }
}

#[tokio::test]
async fn stats_list_every_queue_with_its_counts() {
    let app = operator_app().await;
    app.leaves_jobs(
        jobs::Queue::DocumentProcessing,
        "the queued upload is what the stats count",
    );
    let user = app.new_org_user("member").await;
    let form = reqwest::multipart::Form::new().part(
        "document",
        reqwest::multipart::Part::bytes(b"hello".to_vec())
            .file_name("a.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let response = app
        .authed(Method::POST, "/api/documents/upload", &user)
        .multipart(form)
        .sent()
        .await;
    assert_eq!(response.status(), 202);

    let (status, body) = admin_call(&app, Method::GET, "/api/admin/queues", Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let queues = body["queues"].as_array().unwrap();
    let names: Vec<&str> = queues
        .iter()
        .map(|q| q["queue"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "document-processing",
            "email",
            "webhook-delivery",
            "analytics-aggregation",
            "sweeper"
        ]
    );
    for q in queues {
        for field in ["pending", "running", "done", "failed", "dead", "workers"] {
            assert!(q[field].is_u64(), "{field} of {q}");
        }
    }
    assert_eq!(queues[0]["pending"], 1);
    assert_eq!(queues[1]["pending"], 0);
    assert_eq!(body["enqueueFailures"], 0);
}

#[tokio::test]
async fn a_dead_job_is_retried_with_its_row_reset() {
    let app = operator_app().await;
    app.leaves_jobs(
        jobs::Queue::Email,
        "the retried mail job is the subject; it waits for a worker this test does not run",
    );
    let (row, job) = dead_mail(&app).await;
    let before = email_stats(&app).await;
    assert_eq!(
        (before["dead"].as_u64(), before["pending"].as_u64()),
        (Some(1), Some(0))
    );

    let (status, body) = admin_call(
        &app,
        Method::POST,
        &format!("/api/admin/queues/email/jobs/{job}/retry"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["jobId"], job);
    assert_eq!(body["rowId"], row.to_string());
    let after = email_stats(&app).await;
    assert_eq!(
        (after["dead"].as_u64(), after["pending"].as_u64()),
        (Some(0), Some(1))
    );
    let mut conn = app.state.db.get().await.unwrap();
    let mail = email_outbox::find_by_id(&mut conn, row)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mail.status, "queued");
    assert_eq!(mail.attempts, 0);

    // Retrying it again: it is no longer dead.
    let (status, body) = admin_call(
        &app,
        Method::POST,
        &format!("/api/admin/queues/email/jobs/{job}/retry"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn a_failed_row_is_retried_by_its_id_and_the_dead_in_bulk() {
    let app = operator_app().await;
    app.leaves_jobs(
        jobs::Queue::Email,
        "the retried mail jobs are the subject; they wait for a worker this test does not run",
    );
    let (row, _) = dead_mail(&app).await;
    let (status, body) = admin_call(
        &app,
        Method::POST,
        &format!("/api/admin/queues/email/jobs/{row}/retry"),
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["rowId"], row.to_string());
    assert_ne!(body["jobId"], "");

    dead_mail(&app).await;
    dead_mail(&app).await;
    let (status, body) = admin_call(
        &app,
        Method::POST,
        "/api/admin/queues/email/dead/retry",
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["queue"], "email");
    // One job per row: retrying the first row by its id re-armed its job
    // (it left the dead set), so the two later ones are what is dead.
    assert_eq!(body["retried"], 2);
    assert_eq!(email_stats(&app).await["dead"], 0);

    let (status, body) = admin_call(
        &app,
        Method::POST,
        "/api/admin/queues/email/dead/retry",
        Some(TOKEN),
    )
    .await;
    assert_eq!((status, body["retried"].as_u64()), (202, Some(0)));
}

#[tokio::test]
async fn unknown_queues_and_jobs_are_404() {
    let app = operator_app().await;
    for path in [
        "/api/admin/queues/nope/jobs/01J00000000000000000000000/retry".to_owned(),
        "/api/admin/queues/nope/dead/retry".to_owned(),
        "/api/admin/queues/email/jobs/01J00000000000000000000000/retry".to_owned(),
        format!("/api/admin/queues/email/jobs/{}/retry", Uuid::new_v4()),
        format!("/api/admin/queues/sweeper/jobs/{}/retry", Uuid::new_v4()),
    ] {
        let (status, body) = admin_call(&app, Method::POST, &path, Some(TOKEN)).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
}
