//! Jobs the API enqueues after its writes commit: the welcome, invitation
//! and password-reset mails, and the webhook deliveries of agent.created /
//! updated / deleted and call.completed (each job points at its row).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use jobs::Queue;
use reqwest::Method;
use serde_json::{Value, json};
use storage::models::email_outbox::template;
use storage::schema::{email_outbox, integrations, webhook_deliveries};
use uuid::Uuid;

use crate::documents::pending;
use crate::helpers::{RequestExt, TestApp, TestUser, spawn_app};

/// The row ids the jobs of `queue` carry (`{"emailId"}`, `{"deliveryId"}`...).
pub async fn queued_row_ids(app: &TestApp, queue: Queue) -> Vec<Uuid> {
    let key = app.state.jobs.keys(queue).data();
    let payloads: Vec<String> = app
        .state
        .jobs
        .redis()
        .run(|mut c| async move { redis::cmd("HVALS").arg(key).query_async(&mut *c).await })
        .await
        .unwrap();
    payloads
        .iter()
        .map(|p| {
            let v: Value = serde_json::from_str(p).unwrap();
            let id = v.as_object().unwrap().values().next().unwrap();
            id.as_str().unwrap().parse().unwrap()
        })
        .collect()
}

async fn outbox_id(app: &TestApp, to: &str, template: &str) -> Uuid {
    let mut conn = app.state.db.get().await.unwrap();
    email_outbox::table
        .filter(email_outbox::to_address.eq(to))
        .filter(email_outbox::template.eq(template))
        .select(email_outbox::id)
        .first(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn register_invite_and_forgot_password_enqueue_their_mail() {
    let app = spawn_app().await;

    let owner = app.register().await;
    let welcome = outbox_id(&app, &owner.email, template::WELCOME).await;
    assert_eq!(pending(&app, Queue::Email).await, 1);
    assert_eq!(queued_row_ids(&app, Queue::Email).await, vec![welcome]);

    let response = app
        .authed(Method::POST, "/api/users/invite", &owner)
        .json(&json!({ "email": "invitee@example.com", "role": "member" }))
        .sent()
        .await;
    assert_eq!(response.status(), 201);
    let invitation = outbox_id(&app, "invitee@example.com", template::INVITATION).await;
    assert_eq!(pending(&app, Queue::Email).await, 2);

    let response = app
        .post_json(
            "/api/auth/forgot-password",
            &json!({ "email": owner.email }),
        )
        .await;
    assert_eq!(response.status(), 202);
    let reset = outbox_id(&app, &owner.email, template::PASSWORD_RESET).await;
    assert_eq!(pending(&app, Queue::Email).await, 3);

    let mut ids = queued_row_ids(&app, Queue::Email).await;
    ids.sort();
    let mut expected = vec![welcome, invitation, reset];
    expected.sort();
    assert_eq!(ids, expected);

    // An unknown address is answered the same and enqueues nothing.
    let response = app
        .post_json(
            "/api/auth/forgot-password",
            &json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!(response.status(), 202);
    assert_eq!(pending(&app, Queue::Email).await, 3);
}

pub async fn subscribe(app: &TestApp, admin: &TestUser, events: &[&str]) -> Uuid {
    let response = app
        .authed(Method::POST, "/api/webhooks", admin)
        .json(&json!({ "url": "https://hooks.example.com/in", "events": events }))
        .sent()
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().parse().unwrap()
}

/// (event, data) of every delivery of an endpoint, oldest first.
async fn deliveries(app: &TestApp, webhook: Uuid) -> Vec<(Uuid, String, Value)> {
    let mut conn = app.state.db.get().await.unwrap();
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook))
        .order(webhook_deliveries::created_at.asc())
        .select((
            webhook_deliveries::id,
            webhook_deliveries::event,
            webhook_deliveries::payload,
        ))
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn agent_writes_create_and_enqueue_deliveries_for_subscribed_endpoints() {
    let app = spawn_app().await;
    app.leaves_jobs(
        jobs::Queue::WebhookDelivery,
        "the agent events' deliveries are asserted queued; no delivery worker runs",
    );
    let admin = app.new_org_user("admin").await;
    let created_only = subscribe(&app, &admin, &["agent.created"]).await;
    let all = subscribe(
        &app,
        &admin,
        &["agent.created", "agent.updated", "agent.deleted"],
    )
    .await;
    // Another organization's endpoint hears nothing.
    let stranger = app.new_org_user("admin").await;
    let theirs = subscribe(&app, &stranger, &["agent.created"]).await;

    let response = app
        .authed(Method::POST, "/api/agents", &admin)
        .json(&json!({ "name": "Reception" }))
        .sent()
        .await;
    assert_eq!(response.status(), 201);
    let agent: Value = response.json().await.unwrap();
    let agent_id = agent["id"].as_str().unwrap();

    let first = deliveries(&app, created_only).await;
    assert_eq!(first.len(), 1);
    let (delivery, event, payload) = &first[0];
    assert_eq!(event, "agent.created");
    assert_eq!(payload["event"], "agent.created");
    assert_eq!(payload["organizationId"], admin.organization_id.to_string());
    assert_eq!(payload["data"]["id"], agent_id);
    assert_eq!(payload["data"]["name"], "Reception");
    assert!(
        queued_row_ids(&app, Queue::WebhookDelivery)
            .await
            .contains(delivery)
    );
    assert_eq!(deliveries(&app, all).await.len(), 1);
    assert_eq!(pending(&app, Queue::WebhookDelivery).await, 2);

    let response = app
        .authed(Method::PATCH, &format!("/api/agents/{agent_id}"), &admin)
        .json(&json!({ "name": "Front desk" }))
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let response = app
        .authed(Method::DELETE, &format!("/api/agents/{agent_id}"), &admin)
        .sent()
        .await;
    assert_eq!(response.status(), 204);

    assert_eq!(deliveries(&app, created_only).await.len(), 1);
    let events: Vec<(String, Value)> = deliveries(&app, all)
        .await
        .into_iter()
        .map(|(_, e, p)| (e, p["data"].clone()))
        .collect();
    assert_eq!(events[1].0, "agent.updated");
    assert_eq!(events[1].1["name"], "Front desk");
    assert_eq!(events[2].0, "agent.deleted");
    assert_eq!(events[2].1, json!({ "id": agent_id }));
    assert_eq!(pending(&app, Queue::WebhookDelivery).await, 4);
    assert!(deliveries(&app, theirs).await.is_empty());

    // A failed write publishes nothing.
    let response = app
        .authed(Method::PATCH, &format!("/api/agents/{agent_id}"), &admin)
        .json(&json!({ "name": "Gone" }))
        .sent()
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(deliveries(&app, all).await.len(), 3);
}

const SECRET: &str = "wsec_enqueue_test_secret";

#[tokio::test]
async fn a_new_call_is_announced_once_as_call_completed() {
    let app = spawn_app().await;
    app.leaves_jobs(
        jobs::Queue::WebhookDelivery,
        "the call.completed delivery is asserted queued; no delivery worker runs",
    );
    let admin = app.new_org_user("admin").await;
    let hook = subscribe(&app, &admin, &["call.completed"]).await;
    crate::call_logs::insert_agent(&app, admin.organization_id, Some("agent_enqueue_1")).await;
    let sealed = app.state.encryption.encrypt(
        json!({ "apiKey": "sk_x", "webhookSecret": SECRET })
            .to_string()
            .as_bytes(),
    );
    {
        let mut conn = app.state.db.get().await.unwrap();
        diesel::insert_into(integrations::table)
            .values((
                integrations::organization_id.eq(admin.organization_id),
                integrations::provider.eq("elevenlabs"),
                integrations::encrypted_credentials.eq(sealed),
                integrations::api_key_last4.eq("abcd"),
            ))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let body = json!({
        "type": "post_call_transcription",
        "data": {
            "agent_id": "agent_enqueue_1",
            "conversation_id": "conv_enqueue",
            "status": "done",
            "transcript": [{ "role": "user", "message": "Hello", "time_in_call_secs": 0 }],
            "metadata": { "start_time_unix_secs": Utc::now().timestamp() - 60, "call_duration_secs": 42 }
        }
    })
    .to_string();
    for attempt in 0..2 {
        let signature = api::routes::inbound_webhooks::sign(
            SECRET.as_bytes(),
            Utc::now().timestamp() + attempt,
            body.as_bytes(),
        );
        let response = app
            .client
            .post(app.url("/api/webhooks/elevenlabs/post-call"))
            .header("content-type", "application/json")
            .header("ElevenLabs-Signature", signature)
            .body(body.clone())
            .sent()
            .await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let sent = deliveries(&app, hook).await;
    assert_eq!(sent.len(), 1, "a replay must not announce the call again");
    assert_eq!(sent[0].1, "call.completed");
    assert_eq!(sent[0].2["data"]["conversationId"], "conv_enqueue");
    assert_eq!(sent[0].2["data"]["durationSeconds"], 42);
    assert_eq!(
        queued_row_ids(&app, Queue::WebhookDelivery).await,
        vec![sent[0].0]
    );
}
