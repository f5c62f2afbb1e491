//! Cross-cutting behaviour: the WebSocket event stream, the per-token request
//! budget, Prometheus metrics and the OpenAPI document.

use futures::StreamExt;
use kv::events::Event;
use reqwest::Method;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Options, RequestExt, spawn_app, spawn_app_with};

async fn next_text(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<String> {
    let deadline = tokio::time::Duration::from_secs(5);
    loop {
        match tokio::time::timeout(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(text.to_string()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

#[tokio::test]
async fn websocket_pushes_events_of_the_callers_organization_only() {
    let app = spawn_app().await;
    let alice = app.new_org_user("member").await;
    let mallory = app.new_org_user("owner").await;
    let url = format!(
        "ws://127.0.0.1:{}/ws/realtime-sync?token={}",
        app.port, alice.token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("handshake succeeds");

    // The subscription is live once the listener has subscribed in Redis;
    // publish until it is heard, then check the payload.
    let event = Event::new(
        "call.completed",
        alice.organization_id,
        serde_json::json!({"callId": "c1"}),
    );
    let other = Event::new(
        "call.completed",
        mallory.organization_id,
        serde_json::json!({"callId": "secret"}),
    );
    let mut received = None;
    for _ in 0..50 {
        app.state.events.publish(&other).await.unwrap();
        app.state.events.publish(&event).await.unwrap();
        if let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(std::time::Duration::from_millis(100), ws.next()).await
        {
            received = Some(text.to_string());
            break;
        }
    }
    let text = received.expect("an event arrives");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "call.completed");
    assert_eq!(body["organizationId"], alice.organization_id.to_string());
    assert_eq!(body["data"]["callId"], "c1");
    assert!(body["timestamp"].is_string());
    // Whatever else arrives is also alice's, never the other organization's.
    app.state.events.publish(&event).await.unwrap();
    let more = next_text(&mut ws).await.expect("a second event");
    assert!(!more.contains("secret"));
}

#[tokio::test]
async fn websocket_refuses_a_missing_or_bad_token() {
    let app = spawn_app().await;
    let url = format!(
        "ws://127.0.0.1:{}/ws/realtime-sync?token=esx_nope",
        app.port
    );
    let err = tokio_tungstenite::connect_async(url)
        .await
        .expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 401),
        other => panic!("expected an HTTP 401, got {other:?}"),
    }
    let response = app.get("/ws/realtime-sync").await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn per_token_budget_answers_429_with_retry_after() {
    let mut options = Options::default();
    options.server.rate_limit_per_minute = 5;
    let app = spawn_app_with(options).await;
    let user = app.new_org_user("member").await;
    for _ in 0..5 {
        let response = app
            .authed(Method::GET, "/api/user/profile", &user)
            .sent()
            .await;
        assert_ne!(response.status(), 429);
    }
    let response = app
        .authed(Method::GET, "/api/user/profile", &user)
        .sent()
        .await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another token has its own budget.
    let other = app.new_org_user("member").await;
    let response = app
        .authed(Method::GET, "/api/user/profile", &other)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn per_token_budget_fails_open_without_redis() {
    let mut options = Options {
        redis_url: Some("redis://127.0.0.1:1".into()),
        ..Options::default()
    };
    options.server.rate_limit_per_minute = 2;
    let app = spawn_app_with(options).await;
    let user = app.new_org_user("member").await;
    for _ in 0..5 {
        let response = app
            .authed(Method::GET, "/api/user/profile", &user)
            .sent()
            .await;
        assert_eq!(response.status(), 200);
    }
}

#[tokio::test]
async fn metrics_expose_requests_pools_and_memory() {
    let mut options = Options::default();
    options.server.metrics_token = Some(secrecy::SecretString::from(
        "scrape-token-0123456789".to_owned(),
    ));
    let app = spawn_app_with(options).await;
    assert_eq!(app.get("/health").await.status(), 200);
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-token-0123456789")
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for needle in [
        "http_requests_total{",
        "route=\"/health\"",
        "http_request_duration_seconds_bucket",
        "db_pool_connections{state=\"idle\"}",
        "db_pool_max_connections",
        "redis_pool_connections",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }
}

#[tokio::test]
async fn openapi_document_lists_the_contract_and_the_viewer_serves() {
    let app = spawn_app().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/health",
        "/api/auth/login",
        "/api/auth/register",
        "/api/agents",
        "/api/agents/{id}",
        "/api/call-logs",
        "/api/analytics/overview",
        "/api/knowledge-base/search",
        "/api/providers",
        "/api/webhooks",
        "/api/webhooks/elevenlabs/post-call",
    ] {
        assert!(
            paths.contains_key(path),
            "OpenAPI lacks {path}: {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    let viewer = app.get("/docs").await;
    assert_eq!(viewer.status(), 200);
    assert!(viewer.text().await.unwrap().contains("openapi"));
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_is_compressed_on_request() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .sent()
        .await;
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
}
