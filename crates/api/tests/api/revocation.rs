//! Revocation reaches every principal on every instance: an open WebSocket
//! closes (1008) when its session logs out, its API key is revoked, its
//! user is removed, or its token expires, also when the revoking request
//! went to another instance; an API key acts with at most its creator's
//! current role and stops with its creator.

use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{RequestExt, TestApp, TestUser, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(port: u16, token: &str) -> Socket {
    let url = format!("ws://127.0.0.1:{port}/ws/realtime-sync?token={token}");
    tokio_tungstenite::connect_async(url)
        .await
        .expect("handshake succeeds")
        .0
}

/// The close code the server sends, waiting at most 10 s; `None` if the
/// socket stays open that long.
async fn close_code(ws: &mut Socket) -> Option<u16> {
    let wait = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(message) = ws.next().await {
            match message {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return Some(0),
            }
        }
        Some(0)
    });
    wait.await.ok().flatten()
}

/// A second API instance on the same Postgres and Redis (as behind the
/// load balancer).
async fn spawn_peer(app: &TestApp) -> u16 {
    let config = api::config::ApiConfig {
        database: app.db.config(4),
        redis: app.redis.config(),
        encryption: settings::EncryptionConfig {
            key: crypto::EncryptionKey::generate(),
        },
        log: settings::LogConfig {
            format: settings::LogFormat::Text,
        },
        server: api::config::ServerConfig::for_tests(),
    };
    let peer = api::startup::Application::build(config).await.unwrap();
    peer.spawn().0
}

async fn create_key(app: &TestApp, user: &TestUser, body: Value) -> (String, String) {
    let response = app
        .authed(Method::POST, "/api/api-keys", user)
        .json(&body)
        .sent()
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    (
        created["key"].as_str().unwrap().to_owned(),
        created["id"].as_str().unwrap().to_owned(),
    )
}

async fn status_with(app: &TestApp, token: &str, method: Method, path: &str) -> u16 {
    app.client
        .request(method, app.url(path))
        .bearer_auth(token)
        .sent()
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_socket_closes_when_its_session_logs_out_on_another_instance() {
    let app = spawn_app().await;
    let peer_port = spawn_peer(&app).await;
    let owner = app.register().await;
    let mut on_peer = open(peer_port, &owner.token).await;
    let mut here = open(app.port, &owner.token).await;
    let response = app
        .authed(Method::POST, "/api/auth/logout", &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(close_code(&mut here).await, Some(1008));
    assert_eq!(close_code(&mut on_peer).await, Some(1008));
}

#[tokio::test]
async fn a_socket_closes_when_its_api_key_is_revoked_and_others_stay_open() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let (key, id) = create_key(&app, &owner, json!({"name": "dashboard"})).await;
    let mut keyed = open(app.port, &key).await;
    let mut session = open(app.port, &owner.token).await;
    let response = app
        .authed(Method::DELETE, &format!("/api/api-keys/{id}"), &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(close_code(&mut keyed).await, Some(1008));
    // The owner's own socket re-checked too, and stays: events still flow.
    let event = kv::events::Event::new("ping", owner.organization_id, json!({}));
    app.state.events.publish(&event).await.unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match session.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    })
    .await;
    assert!(
        matches!(next, Ok(Some(Ok(Message::Text(_))))),
        "the unrevoked socket still streams: {next:?}"
    );
}

#[tokio::test]
async fn a_socket_closes_when_its_user_is_removed() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let member = app.add_user(&owner.organization_id, "member", "ws").await;
    let mut ws = open(app.port, &member.token).await;
    let response = app
        .authed(
            Method::DELETE,
            &format!("/api/users/{}", member.user_id),
            &owner,
        )
        .sent()
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(close_code(&mut ws).await, Some(1008));
}

#[tokio::test]
async fn a_socket_closes_when_its_token_expires() {
    let app = spawn_app().await;
    let member = app.new_org_user("member").await;
    app.execute_sql(&format!(
        "UPDATE sessions SET expires_at = now() + interval '2 seconds' WHERE user_id = '{}'",
        member.user_id
    ))
    .await;
    let mut ws = open(app.port, &member.token).await;
    assert_eq!(close_code(&mut ws).await, Some(1008));
}

#[tokio::test]
async fn a_demoted_admins_key_loses_admin_rights_and_a_removed_ones_stops() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let admin = app.add_user(&owner.organization_id, "admin", "k").await;
    let (key, _) = create_key(&app, &admin, json!({"name": "ops", "role": "admin"})).await;
    assert_eq!(
        status_with(&app, &key, Method::GET, "/api/api-keys").await,
        200
    );

    let demote = app
        .authed(
            Method::PATCH,
            &format!("/api/users/{}", admin.user_id),
            &owner,
        )
        .json(&json!({"role": "member"}))
        .sent()
        .await;
    assert_eq!(demote.status(), 200);
    // An admin route refuses the key now; member routes still work.
    assert_eq!(
        status_with(&app, &key, Method::GET, "/api/api-keys").await,
        403
    );
    assert_eq!(
        status_with(&app, &key, Method::GET, "/api/agents").await,
        200
    );

    let remove = app
        .authed(
            Method::DELETE,
            &format!("/api/users/{}", admin.user_id),
            &owner,
        )
        .sent()
        .await;
    assert_eq!(remove.status(), 204);
    assert_eq!(
        status_with(&app, &key, Method::GET, "/api/agents").await,
        401
    );
    // The removed creator's keys are listed as gone, not as live.
    let list: Value = app
        .authed(Method::GET, "/api/api-keys", &owner)
        .sent()
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
}
