//! The organization-scoped inbound webhook URL and the signature header's bounds: two
//! organizations may use the same ElevenLabs agent id, and each webhook lands in its own tenant;
//! a header with too many candidates or too many bytes is refused before any MAC is computed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{RequestExt, TestApp, TestUser, spawn_app};
use crate::inbound_webhooks::{SECRET, add_integration, event};

const LEGACY: &str = "/api/webhooks/elevenlabs/post-call";

fn org_path(org: Uuid) -> String {
    format!("/api/webhooks/elevenlabs/{org}/post-call")
}

async fn post(app: &TestApp, path: &str, body: &[u8], signature: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(body.to_vec())
        .sent()
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create_agent(app: &TestApp, user: &TestUser, external_id: &str) -> u16 {
    app.authed(Method::POST, "/api/agents", user)
        .json(&json!({ "name": "Support", "externalAgentId": external_id }))
        .sent()
        .await
        .status()
        .as_u16()
}

async fn calls_of(app: &TestApp, user: &TestUser) -> Vec<String> {
    let page: Value = app
        .authed(Method::GET, "/api/call-logs", user)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["conversationId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_organizations_share_an_external_id_and_each_webhook_lands_in_its_own_tenant() {
    let app = spawn_app().await;
    let first = app.new_org_user("owner").await;
    let second = app.new_org_user("owner").await;
    // The same ElevenLabs agent id in both organizations; twice in one is still a conflict.
    assert_eq!(create_agent(&app, &first, "agent_shared").await, 201);
    assert_eq!(create_agent(&app, &second, "agent_shared").await, 201);
    assert_eq!(create_agent(&app, &second, "agent_shared").await, 409);
    let second_secret = "wsec_second_organization";
    add_integration(
        &app,
        first.organization_id,
        json!({ "apiKey": "k1", "webhookSecret": SECRET }),
    )
    .await;
    add_integration(
        &app,
        second.organization_id,
        json!({ "apiKey": "k2", "webhookSecret": second_secret }),
    )
    .await;
    let now = Utc::now().timestamp();
    let sign = |secret: &str, body: &[u8]| {
        api::routes::inbound_webhooks::sign(secret.as_bytes(), now, body)
    };

    let body = event("agent_shared", "conv_first");
    let (status, _) = post(
        &app,
        &org_path(first.organization_id),
        &body,
        &sign(SECRET, &body),
    )
    .await;
    assert_eq!(status, 200);
    let body = event("agent_shared", "conv_second");
    let signature = sign(second_secret, &body);
    let (status, _) = post(&app, &org_path(second.organization_id), &body, &signature).await;
    assert_eq!(status, 200);
    assert_eq!(calls_of(&app, &first).await, ["conv_first"]);
    assert_eq!(calls_of(&app, &second).await, ["conv_second"]);

    // The first organization's secret does not open the second's URL, nor the reverse.
    let body = event("agent_shared", "conv_cross");
    let (status, error) = post(
        &app,
        &org_path(second.organization_id),
        &body,
        &sign(SECRET, &body),
    )
    .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (401, Some("invalid_signature"))
    );
    // The legacy URL cannot tell the two apart: refused, for both secrets.
    for secret in [SECRET, second_secret] {
        let (status, _) = post(&app, LEGACY, &body, &sign(secret, &body)).await;
        assert_eq!(status, 401);
    }
    // An unknown or malformed organization answers the same 401.
    let (status, _) = post(&app, &org_path(Uuid::new_v4()), &body, &sign(SECRET, &body)).await;
    assert_eq!(status, 401);
    let (status, _) = post(
        &app,
        "/api/webhooks/elevenlabs/nope/post-call",
        &body,
        &sign(SECRET, &body),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(calls_of(&app, &first).await, ["conv_first"]);
    assert_eq!(calls_of(&app, &second).await, ["conv_second"]);
}

#[tokio::test]
async fn oversize_signature_headers_are_400_and_rotation_candidates_are_accepted() {
    let app = spawn_app().await;
    let user = app.new_org_user("owner").await;
    assert_eq!(create_agent(&app, &user, "agent_rotating").await, 201);
    add_integration(
        &app,
        user.organization_id,
        json!({ "apiKey": "k", "webhookSecret": SECRET }),
    )
    .await;
    let path = org_path(user.organization_id);
    let body = event("agent_rotating", "conv_rotation");
    let now = Utc::now().timestamp();

    // The attack: 1,900 empty candidates.
    let empties = format!("t={now}{}", ",v0=".repeat(1_900));
    let (status, error) = post(&app, &path, &body, &empties).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("signature_header_too_long"))
    );
    // Five well-formed candidates: one more than a rotation needs.
    let fake = "ab".repeat(32);
    let five = format!("t={now}{}", format!(",v0={fake}").repeat(5));
    let (status, error) = post(&app, &path, &body, &five).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (400, Some("too_many_signatures"))
    );

    // During a rotation: the old secret's tag first, the current one second.
    let old = api::routes::inbound_webhooks::sign(b"wsec_old_secret", now, &body);
    let current = api::routes::inbound_webhooks::sign(SECRET.as_bytes(), now, &body);
    let current_tag = current.split_once(",v0=").unwrap().1;
    let (status, _) = post(&app, &path, &body, &format!("{old},v0={current_tag}")).await;
    assert_eq!(status, 200);
}
