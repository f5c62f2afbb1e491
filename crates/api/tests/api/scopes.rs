//! API key scopes: chosen at creation, listed, and enforced per resource
//! family (read/write) on every route, the WebSocket included.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{RequestExt, spawn_app};

async fn status(
    app: &crate::helpers::TestApp,
    key: &str,
    method: Method,
    path: &str,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method.clone(), app.url(path))
        .bearer_auth(key);
    if method == Method::POST {
        request = request.json(&json!({"name": "Support bot", "platform": "elevenlabs"}));
    }
    let response = request.sent().await;
    let code = response.status().as_u16();
    (code, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_key_may_use_only_its_scopes() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let response = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "reader", "role": "admin", "scopes": ["agents:read", "team:write"]}))
        .sent()
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["scopes"], json!(["agents:read", "team:write"]));
    let key = created["key"].as_str().unwrap();

    assert_eq!(status(&app, key, Method::GET, "/api/agents").await.0, 200);
    let (code, body) = status(&app, key, Method::POST, "/api/agents").await;
    assert_eq!(code, 403);
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert_eq!(body["error"]["details"]["required"], "agents:write");
    assert_eq!(
        status(&app, key, Method::GET, "/api/call-logs").await.0,
        403
    );
    assert_eq!(
        status(&app, key, Method::GET, "/api/knowledge-base/entries")
            .await
            .0,
        403
    );
    // write includes read
    assert_eq!(status(&app, key, Method::GET, "/api/users").await.0, 200);
    assert_eq!(
        status(&app, key, Method::GET, "/api/user/profile").await.0,
        200
    );
    // No realtime:read, no live stream.
    let url = format!("ws://127.0.0.1:{}/ws/realtime-sync?token={key}", app.port);
    match tokio_tungstenite::connect_async(url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }
    // Sessions carry no scopes: the owner's own token is unaffected.
    let own = app
        .authed(Method::GET, "/api/call-logs", &owner)
        .sent()
        .await;
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn scopes_default_to_all_and_unknown_ones_are_refused() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let create = |body: Value| {
        app.authed(Method::POST, "/api/api-keys", &owner)
            .json(&body)
            .send()
    };
    let all: Value = create(json!({"name": "all"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scopes = all["scopes"].as_array().unwrap();
    assert!(scopes.contains(&json!("realtime:read")) && scopes.contains(&json!("agents:write")));
    for bad in [json!([]), json!(["agents:admin"]), json!(["*"])] {
        let response = create(json!({"name": "bad", "scopes": bad})).await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error"]["details"]["fields"]["scopes"].is_string(),
            "{body}"
        );
    }
}
