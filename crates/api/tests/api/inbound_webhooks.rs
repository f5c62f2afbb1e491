//! `POST /api/webhooks/elevenlabs/post-call` (legacy URL): signature checks,
//! idempotent upsert, and the dashboard seeing the call at once.

// Helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use storage::schema::{call_logs, integrations};
use uuid::Uuid;

use crate::call_logs::insert_agent;
use crate::helpers::{RequestExt, TestApp, spawn_app};

const PATH: &str = "/api/webhooks/elevenlabs/post-call";
pub(crate) const SECRET: &str = "wsec_test_secret_value";

pub(crate) async fn add_integration(app: &TestApp, org: Uuid, credentials: Value) {
    let sealed = app
        .state
        .encryption
        .encrypt(credentials.to_string().as_bytes());
    let mut conn = app.state.db.get().await.unwrap();
    diesel::insert_into(integrations::table)
        .values((
            integrations::organization_id.eq(org),
            integrations::provider.eq("elevenlabs"),
            integrations::encrypted_credentials.eq(sealed),
            integrations::api_key_last4.eq("abcd"),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
}

pub(crate) fn event(agent: &str, conversation: &str) -> Vec<u8> {
    let started = Utc::now().timestamp() - 120;
    json!({
        "type": "post_call_transcription",
        "event_timestamp": Utc::now().timestamp(),
        "data": {
            "agent_id": agent,
            "conversation_id": conversation,
            "status": "done",
            "transcript": [
                { "role": "agent", "message": "Hi, how can I help?", "time_in_call_secs": 0 },
                { "role": "user", "message": "I need a refund.", "time_in_call_secs": 4 }
            ],
            "metadata": {
                "start_time_unix_secs": started,
                "call_duration_secs": 95,
                "cost": 0.42,
                "phone_call": { "direction": "inbound", "external_number": "+15551234567" }
            },
            "analysis": { "transcript_summary": "Caller asked for a refund.", "call_successful": "success" }
        }
    })
    .to_string()
    .into_bytes()
}

async fn post(app: &TestApp, body: &[u8], signature: Option<String>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("ElevenLabs-Signature", signature);
    }
    request.sent().await
}

fn sign(body: &[u8], at: i64) -> String {
    api::routes::inbound_webhooks::sign(SECRET.as_bytes(), at, body)
}

async fn assert_rejected(response: reqwest::Response) {
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_signature");
    assert_eq!(
        body["error"]["message"],
        "missing or invalid webhook signature"
    );
}

async fn call_count(app: &TestApp) -> i64 {
    let mut conn = app.state.db.get().await.unwrap();
    call_logs::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_event_is_stored_once_and_replays_change_nothing() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let agent = insert_agent(&app, user.organization_id, Some("agent_el_1")).await;
    add_integration(
        &app,
        user.organization_id,
        json!({ "apiKey": "sk_x", "webhookSecret": SECRET }),
    )
    .await;
    let body = event("agent_el_1", "conv_123");

    let response = post(&app, &body, Some(sign(&body, Utc::now().timestamp()))).await;
    assert_eq!(response.status(), 200);
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["received"], true);
    let call_id = first["callId"].as_str().unwrap().to_owned();

    let (status, stored) = {
        let r = app
            .authed(Method::GET, &format!("/api/call-logs/{call_id}"), &user)
            .sent()
            .await;
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(stored["conversationId"], "conv_123");
    assert_eq!(stored["agentId"], agent.id.to_string());
    assert_eq!(stored["status"], "completed");
    assert_eq!(stored["durationSeconds"], 95);
    assert_eq!(stored["cost"], 0.42);
    assert_eq!(stored["direction"], "inbound");
    assert_eq!(stored["phoneNumber"], "+15551234567");
    assert_eq!(stored["summary"], "Caller asked for a refund.");
    assert_eq!(stored["transcript"][1]["message"], "I need a refund.");

    // The same event again, signed a moment later: same row, same values.
    let replay = post(&app, &body, Some(sign(&body, Utc::now().timestamp() + 1))).await;
    assert_eq!(replay.status(), 200);
    let second: Value = replay.json().await.unwrap();
    assert_eq!(second["callId"], call_id.as_str());
    assert_eq!(call_count(&app).await, 1);
    let again: Value = app
        .authed(Method::GET, &format!("/api/call-logs/{call_id}"), &user)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, stored);
}

#[tokio::test]
async fn missing_bad_and_stale_signatures_are_401() {
    let app = spawn_app().await;
    let user = app.new_org_user("owner").await;
    insert_agent(&app, user.organization_id, Some("agent_el_2")).await;
    add_integration(
        &app,
        user.organization_id,
        json!({ "apiKey": "sk_x", "webhookSecret": SECRET }),
    )
    .await;
    let body = event("agent_el_2", "conv_1");
    let now = Utc::now().timestamp();

    assert_rejected(post(&app, &body, None).await).await;
    assert_rejected(post(&app, &body, Some("garbage".into())).await).await;
    let wrong_key = api::routes::inbound_webhooks::sign(b"another-secret", now, &body);
    assert_rejected(post(&app, &body, Some(wrong_key)).await).await;
    // Signed for another body.
    assert_rejected(post(&app, &body, Some(sign(b"{}", now))).await).await;
    // Outside the 30-minute tolerance, either way.
    assert_rejected(post(&app, &body, Some(sign(&body, now - 3600))).await).await;
    assert_rejected(post(&app, &body, Some(sign(&body, now + 3600))).await).await;
    // A timestamp changed after signing.
    let tampered = sign(&body, now).replacen(&format!("t={now}"), &format!("t={}", now - 1), 1);
    assert_rejected(post(&app, &body, Some(tampered)).await).await;
    assert_eq!(call_count(&app).await, 0);
}

#[tokio::test]
async fn unknown_agents_and_missing_secrets_are_401_too() {
    let app = spawn_app().await;
    let with_secret = app.new_org_user("owner").await;
    let without_integration = app.new_org_user("owner").await;
    let without_secret = app.new_org_user("owner").await;
    insert_agent(&app, with_secret.organization_id, Some("agent_a")).await;
    insert_agent(&app, without_integration.organization_id, Some("agent_b")).await;
    insert_agent(&app, without_secret.organization_id, Some("agent_c")).await;
    add_integration(
        &app,
        with_secret.organization_id,
        json!({ "apiKey": "k", "webhookSecret": SECRET }),
    )
    .await;
    add_integration(
        &app,
        without_secret.organization_id,
        json!({ "apiKey": "k" }),
    )
    .await;
    let now = Utc::now().timestamp();

    for agent in ["agent_unknown", "agent_b", "agent_c"] {
        let body = event(agent, "conv_x");
        assert_rejected(post(&app, &body, Some(sign(&body, now))).await).await;
    }
    // No agent id at all, or not JSON.
    let body = br#"{"data": {}}"#;
    assert_rejected(post(&app, body, Some(sign(body, now))).await).await;
    assert_rejected(post(&app, b"not json", Some(sign(b"not json", now))).await).await;
    assert_eq!(call_count(&app).await, 0);
}

#[tokio::test]
async fn the_overview_shows_an_inbound_call_immediately() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let agent = insert_agent(&app, user.organization_id, Some("agent_live")).await;
    add_integration(
        &app,
        user.organization_id,
        json!({ "apiKey": "k", "webhookSecret": SECRET }),
    )
    .await;
    let body = event("agent_live", "conv_live");
    // A cached list total is dropped when the call arrives.
    let list = |app: &TestApp| app.authed(Method::GET, "/api/call-logs", &user).send();
    let before: Value = list(&app).await.unwrap().json().await.unwrap();
    assert_eq!(before["total"], 0);
    let cached = list(&app).await.unwrap();
    let level = cached.headers()["x-cache"].to_str().unwrap();
    assert!(level.starts_with("HIT"), "{level}");
    assert_eq!(
        post(&app, &body, Some(sign(&body, Utc::now().timestamp())))
            .await
            .status(),
        200
    );

    let after: Value = list(&app).await.unwrap().json().await.unwrap();
    assert_eq!(after["total"], 1);
    let overview: Value = app
        .authed(Method::GET, "/api/analytics/overview", &user)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let today = Utc::now().date_naive().to_string();
    let last = &overview["callsPerDay"][29];
    // The event started two minutes ago: today, unless the test straddles midnight.
    if last["date"] == today.as_str() && last["calls"] == 1 {
        assert_eq!(overview["totalCalls"], 1);
        assert_eq!(overview["estimatedCost"], 0.42);
        assert_eq!(overview["topAgents"][0]["agentId"], agent.id.to_string());
    } else {
        assert_eq!(overview["totalCalls"], 1, "{overview}");
    }
    // The rollup of the call's day was refreshed too.
    let mut conn = app.state.db.get().await.unwrap();
    use storage::schema::analytics_daily;
    let calls: Vec<i32> = analytics_daily::table
        .filter(analytics_daily::organization_id.eq(user.organization_id))
        .select(analytics_daily::calls)
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(calls, [1]);
}
