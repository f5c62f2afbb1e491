//! Log capture for the test binary: every test's server logs (at debug for
//! our crates) go to one in-memory buffer, so a test can assert that no log
//! line carries a secret.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use reqwest::Method;
use serde_json::json;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::{RequestExt, TEST_PASSWORD, spawn_app};

static BUFFER: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        BUFFER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        Capture
    }
}

/// Installs the capturing subscriber once per test process.
pub fn init() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let filter = EnvFilter::new(
            "info,api=debug,storage=debug,jobs=debug,worker=debug,tracing_actix_web=debug",
        );
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(Capture)
            .with_ansi(false)
            .try_init();
    });
}

fn captured() -> String {
    String::from_utf8_lossy(
        &BUFFER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned()
}

#[tokio::test]
async fn no_log_line_contains_a_password_a_token_or_a_credential() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let mut secrets = vec![TEST_PASSWORD.to_owned(), owner.token.clone()];

    // A failed and a successful login, and a logout.
    let wrong = app.login(&owner.email, "not the right password").await;
    assert_eq!(wrong.status(), 401);
    secrets.push("not the right password".into());
    let login: serde_json::Value = app
        .login(&owner.email, TEST_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let second_token = login["token"].as_str().unwrap().to_owned();
    secrets.push(second_token.clone());

    // An API key, provider and integration credentials, a webhook secret.
    let key: serde_json::Value = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "ci", "role": "member"}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let api_key = key["key"]
        .as_str()
        .expect("the key is shown once")
        .to_owned();
    secrets.push(api_key.clone());
    let used = app
        .client
        .get(app.url("/api/agents"))
        .bearer_auth(&api_key)
        .sent()
        .await;
    assert_eq!(used.status(), 200);
    let provider_key = format!("sk-live-{}", uuid::Uuid::new_v4().simple());
    let created = app
        .authed(Method::POST, "/api/providers", &owner)
        .json(&json!({"providerType": "llm", "providerName": "openai", "displayName": "Main",
                      "credentials": {"apiKey": provider_key}, "config": {"baseUrl": "http://127.0.0.1:9"}}))
        .sent().await;
    assert_eq!(created.status(), 201);
    secrets.push(provider_key);
    let webhook_secret = format!("whs-{}", uuid::Uuid::new_v4().simple());
    let integration_key = format!("xi-{}", uuid::Uuid::new_v4().simple());
    let saved = app
        .authed(Method::POST, "/api/integrations", &owner)
        .json(&json!({"provider": "elevenlabs", "credentials": {"apiKey": integration_key, "webhookSecret": webhook_secret}}))
        .sent().await;
    assert!(saved.status().is_success());
    secrets.push(integration_key);
    secrets.push(webhook_secret);
    let hook: serde_json::Value = app
        .authed(Method::POST, "/api/webhooks", &owner)
        .json(&json!({"url": "https://example.com/hook", "events": ["agent.created"]}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    if let Some(secret) = hook["secret"].as_str() {
        secrets.push(secret.to_owned());
    }

    // A password reset, then the old sessions are refused.
    app.post_json("/api/auth/forgot-password", &json!({"email": owner.email}))
        .await;
    let logout = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&second_token)
        .sent()
        .await;
    assert_eq!(logout.status(), 204);

    let logs = captured();
    assert!(!logs.is_empty(), "the server logged something");
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a log line contains a secret ({} chars)",
            secret.len()
        );
    }
}
