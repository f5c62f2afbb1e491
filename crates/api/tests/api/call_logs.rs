//! `/api/call-logs`: offset and keyset pages, filters, validation, tenant
//! isolation.

// Helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use storage::models::agents::{self, NewAgent};
use storage::models::call_logs::{self, NewCallLog};
use uuid::Uuid;

use crate::helpers::{RequestExt, TestApp, TestUser, spawn_app};

pub async fn insert_agent(app: &TestApp, org: Uuid, external_id: Option<&str>) -> agents::Agent {
    let mut conn = app.state.db.get().await.unwrap();
    agents::insert(
        &mut conn,
        &NewAgent {
            organization_id: org,
            platform: "elevenlabs".into(),
            external_agent_id: external_id.map(str::to_owned),
            name: format!("Agent {}", Uuid::new_v4().simple()),
            description: None,
            first_message: None,
            system_prompt: None,
            language: "en".into(),
            voice_id: None,
            voice_settings: json!({}),
            llm_settings: json!({}),
            tools: json!([]),
            is_active: true,
        },
    )
    .await
    .unwrap()
}

pub fn call(org: Uuid, agent: Option<Uuid>, status: &str, minutes_ago: i64) -> NewCallLog {
    let started_at = Utc::now() - Duration::minutes(minutes_ago);
    NewCallLog {
        organization_id: org,
        agent_id: agent,
        platform: "elevenlabs".into(),
        conversation_id: format!("conv_{}", Uuid::new_v4().simple()),
        phone_number: Some("+15550001111".into()),
        direction: "inbound".into(),
        status: status.into(),
        duration_seconds: 90,
        cost_micros: 125_000,
        transcript: json!([{ "role": "agent", "message": "Hello", "time_in_call_secs": 0 }]),
        summary: Some("Booked a cleaning".into()),
        metadata: json!({}),
        started_at,
        ended_at: Some(started_at + Duration::seconds(90)),
    }
}

async fn insert_calls(app: &TestApp, calls: &[NewCallLog]) {
    let mut conn = app.state.db.get().await.unwrap();
    assert_eq!(
        call_logs::insert_batch(&mut conn, calls).await.unwrap(),
        calls.len()
    );
}

async fn get(app: &TestApp, user: &TestUser, path: &str) -> (u16, Value) {
    let response = app.authed(Method::GET, path, user).sent().await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn lists_newest_first_with_filters_and_camel_case_fields() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let agent = insert_agent(&app, user.organization_id, None).await;
    let org = user.organization_id;
    insert_calls(
        &app,
        &[
            call(org, Some(agent.id), "completed", 10),
            call(org, None, "failed", 20),
            call(org, Some(agent.id), "busy", 60 * 30),
        ],
    )
    .await;

    let (status, body) = get(&app, &user, "/api/call-logs").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 3);
    assert_eq!(body["pageSize"], 20);
    assert_eq!(body["totalPages"], 1);
    let first = &body["data"][0];
    assert_eq!(first["status"], "completed");
    assert_eq!(first["cost"], 0.125);
    assert_eq!(first["durationSeconds"], 90);
    assert_eq!(first["agentId"], agent.id.to_string());
    // List rows carry the summary; the transcript only when asked for.
    assert_eq!(first["summary"], "Booked a cleaning");
    assert!(first.get("transcript").is_none(), "{first}");
    let (_, whole) = get(&app, &user, "/api/call-logs?include=transcript").await;
    assert_eq!(whole["data"][0]["transcript"][0]["message"], "Hello");
    assert_eq!(whole["data"][0]["id"], first["id"]);
    let (status, _) = get(&app, &user, "/api/call-logs?include=everything").await;
    assert_eq!(status, 422);
    assert!(
        first["conversationId"]
            .as_str()
            .unwrap()
            .starts_with("conv_")
    );
    assert!(body.get("nextCursor").is_none() || body["nextCursor"].is_null());

    let (_, by_agent) = get(&app, &user, &format!("/api/call-logs?agentId={}", agent.id)).await;
    assert_eq!(by_agent["total"], 2);
    let (_, failed) = get(&app, &user, "/api/call-logs?status=failed").await;
    assert_eq!(failed["total"], 1);
    let from = (Utc::now() - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, recent) = get(&app, &user, &format!("/api/call-logs?from={from}")).await;
    assert_eq!(recent["total"], 2);
    let (_, older) = get(&app, &user, &format!("/api/call-logs?to={from}")).await;
    assert_eq!(older["total"], 1);
    assert_eq!(older["data"][0]["status"], "busy");

    let id = first["id"].as_str().unwrap();
    let (status, one) = get(&app, &user, &format!("/api/call-logs/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["summary"], "Booked a cleaning");
    assert_eq!(app.get("/api/call-logs").await.status(), 401);
}

#[tokio::test]
async fn keyset_pages_are_disjoint_and_in_order() {
    let app = spawn_app().await;
    let user = app.new_org_user("owner").await;
    let calls: Vec<NewCallLog> = (0..25)
        .map(|i| call(user.organization_id, None, "completed", i * 3))
        .collect();
    insert_calls(&app, &calls).await;

    let mut seen: Vec<(String, String)> = Vec::new();
    let mut path = "/api/call-logs?limit=10".to_owned();
    let mut pages = 0;
    loop {
        let (status, body) = get(&app, &user, &path).await;
        assert_eq!(status, 200);
        pages += 1;
        for row in body["data"].as_array().unwrap() {
            seen.push((
                row["startedAt"].as_str().unwrap().to_owned(),
                row["id"].as_str().unwrap().to_owned(),
            ));
        }
        match body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/api/call-logs?limit=10&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 5, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    let mut ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "pages overlap");
    let times: Vec<chrono::DateTime<Utc>> = seen.iter().map(|(t, _)| t.parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "not newest first");

    // The offset page 2 holds the same rows as the second keyset page.
    let (_, offset) = get(&app, &user, "/api/call-logs?limit=10&page=2").await;
    let offset_ids: Vec<&str> = offset["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let keyset_ids: Vec<&str> = seen[10..20].iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(offset_ids, keyset_ids);
}

#[tokio::test]
async fn invalid_parameters_answer_422_naming_them() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let (status, body) = get(
        &app,
        &user,
        "/api/call-logs?agentId=nope&status=lost&from=yesterday&to=2026-13-01&cursor=garbage",
    )
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["details"]["fields"];
    for field in ["agentId", "status", "from", "to", "cursor"] {
        assert!(fields[field].is_string(), "{field} missing in {body}");
    }
    for bad in ["?limit=0", "?limit=101", "?page=0", "?page=abc"] {
        let (status, _) = get(&app, &user, &format!("/api/call-logs{bad}")).await;
        assert_eq!(status, 422, "{bad}");
    }
}

#[tokio::test]
async fn other_organizations_calls_are_404_and_invisible() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let stranger = app.new_org_user("owner").await;
    let mine = call(owner.organization_id, None, "completed", 5);
    insert_calls(&app, std::slice::from_ref(&mine)).await;
    let (_, list) = get(&app, &owner, "/api/call-logs").await;
    let id = list["data"][0]["id"].as_str().unwrap().to_owned();

    for path in [
        format!("/api/call-logs/{id}"),
        format!("/api/call-logs/{}", Uuid::new_v4()),
        "/api/call-logs/123".into(),
    ] {
        let (status, body) = get(&app, &stranger, &path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (_, theirs) = get(&app, &stranger, "/api/call-logs").await;
    assert_eq!(theirs["total"], 0);
}
