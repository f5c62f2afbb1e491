//! `/api/analytics/overview` and the rollup refresh behind it.

// Helpers outside #[test] functions unwrap too: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Days, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::Value;
use storage::models::{analytics, call_logs};

use crate::call_logs::{call, insert_agent};
use crate::helpers::{RequestExt, spawn_app};

#[tokio::test]
async fn an_empty_organization_has_thirty_zero_days() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let response = app
        .authed(Method::GET, "/api/analytics/overview", &user)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["totalCalls"], 0);
    assert_eq!(body["totalMinutes"], 0.0);
    assert_eq!(body["estimatedCost"], 0.0);
    assert_eq!(body["activeAgents"], 0);
    let days = body["callsPerDay"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    assert_eq!(days[29]["date"], Utc::now().date_naive().to_string());
    assert!(body["topAgents"].as_array().unwrap().is_empty());
    assert_eq!(app.get("/api/analytics/overview").await.status(), 401);
}

#[tokio::test]
async fn closed_days_come_from_the_rollup_and_today_is_live() {
    let app = spawn_app().await;
    let user = app.new_org_user("member").await;
    let other = app.new_org_user("member").await;
    let org = user.organization_id;
    let busy = insert_agent(&app, org, None).await;
    let quiet = insert_agent(&app, org, None).await;
    let today = Utc::now().date_naive();
    let yesterday = today - Days::new(1);
    // Calls placed relative to the start of today, so "yesterday" holds
    // whatever the hour the test runs at.
    let start_of_today = today.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let minutes_into_today = (Utc::now() - start_of_today).num_minutes();
    let mut calls = vec![
        call(org, Some(busy.id), "completed", minutes_into_today + 60),
        call(org, Some(busy.id), "completed", minutes_into_today + 120),
        call(org, Some(busy.id), "failed", minutes_into_today + 180),
        call(
            other.organization_id,
            None,
            "completed",
            minutes_into_today + 60,
        ),
    ];
    calls.push(call(org, Some(quiet.id), "completed", 0));
    let mut conn = app.state.db.get().await.unwrap();
    call_logs::insert_batch(&mut conn, &calls).await.unwrap();
    // Before the rollup runs, yesterday is not counted; today already is.
    let before: Value = app
        .authed(Method::GET, "/api/analytics/overview", &user)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before["totalCalls"], 1);

    assert_eq!(
        analytics::refresh_day(&mut conn, org, yesterday)
            .await
            .unwrap(),
        1
    );
    // Idempotent: a second refresh leaves the same rows.
    assert_eq!(
        analytics::refresh_day(&mut conn, org, yesterday)
            .await
            .unwrap(),
        1
    );
    use storage::schema::analytics_daily;
    let rows: i64 = analytics_daily::table
        .filter(analytics_daily::organization_id.eq(org))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    // The aggregation job drops the cached overview after each rollup; this
    // test runs the rollup itself, so it does the same.
    app.state
        .cache
        .invalidate(kv::cache::Namespace::Analytics, org)
        .await;

    let body: Value = app
        .authed(Method::GET, "/api/analytics/overview", &user)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["totalCalls"], 4);
    assert_eq!(body["totalMinutes"], 6.0);
    assert_eq!(body["estimatedCost"], 0.5);
    assert_eq!(body["activeAgents"], 2);
    let days = body["callsPerDay"].as_array().unwrap();
    assert_eq!(days[28]["date"], yesterday.to_string());
    assert_eq!(days[28]["calls"], 3);
    assert_eq!(days[28]["minutes"], 4.5);
    assert_eq!(days[28]["cost"], 0.375);
    assert_eq!(days[29]["calls"], 1);
    let top = body["topAgents"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    assert_eq!(top[0]["agentId"], busy.id.to_string());
    assert_eq!(top[0]["calls"], 3);
    assert_eq!(top[0]["minutes"], 4.5);
    assert_eq!(top[0]["name"], busy.name);
    assert_eq!(top[1]["agentId"], quiet.id.to_string());
    assert_eq!(top[1]["calls"], 1);
}
