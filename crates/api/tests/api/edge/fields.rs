//! Valid bodies of each text-taking route with one field made NUL: a 422 naming it.

use reqwest::Method;
use serde_json::{Value, json};

use super::{NUL, fixture, nul_value, provider_body};
use crate::helpers::{fetch, spawn_app};

/// Valid bodies with one field made NUL-laden: a 422 naming that field.
#[tokio::test]
async fn nul_in_a_text_field_is_a_422_naming_it() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let agent = fx.fill("/api/agents/{id}");
    let provider = fx.fill("/api/providers/{id}");
    let entry = fx.fill("/api/knowledge-base/entries/{id}");
    let agent_fields = [
        "name",
        "externalAgentId",
        "description",
        "firstMessage",
        "systemPrompt",
        "voiceId",
        "voiceSettings",
        "llmSettings",
        "tools",
    ];
    let entry_fields = ["title", "content", "category", "tags", "metadata"];
    let mut cases: Vec<(Method, String, Value, &str)> = Vec::new();
    for field in agent_fields {
        cases.push((
            Method::POST,
            "/api/agents".into(),
            json!({"name": "A"}),
            field,
        ));
        cases.push((Method::PATCH, agent.clone(), json!({}), field));
    }
    for field in entry_fields {
        let base = json!({"title": "T", "content": "C"});
        cases.push((
            Method::POST,
            "/api/knowledge-base/entries".into(),
            base,
            field,
        ));
        cases.push((Method::PATCH, entry.clone(), json!({}), field));
    }
    for field in ["query", "category", "tags"] {
        cases.push((
            Method::POST,
            "/api/knowledge-base/search".into(),
            json!({"query": "q"}),
            field,
        ));
    }
    for field in ["displayName", "providerName", "config"] {
        cases.push((
            Method::POST,
            "/api/providers".into(),
            provider_body(),
            field,
        ));
        cases.push((Method::PUT, provider.clone(), provider_body(), field));
    }
    let integration =
        json!({"provider": "elevenlabs", "credentials": {"apiKey": "xi-edge-0123456789"}});
    for field in [
        "config",
        "credentials.webhookSecret",
        "credentials.apiKey",
        "provider",
    ] {
        cases.push((
            Method::POST,
            "/api/integrations".into(),
            integration.clone(),
            field,
        ));
    }
    let hook = json!({"url": "https://hooks.example.com/x", "events": ["agent.created"]});
    for field in ["url", "events"] {
        cases.push((Method::POST, "/api/webhooks".into(), hook.clone(), field));
    }
    cases.push((
        Method::POST,
        "/api/api-keys".into(),
        json!({"name": "k"}),
        "name",
    ));
    cases.push((
        Method::POST,
        "/api/users/invite".into(),
        json!({"email": "x@example.com", "role": "member"}),
        "email",
    ));
    let register = json!({"email": "n@example.com", "password": "long enough pw", "name": "N", "organizationName": "O"});
    for field in ["email", "name", "organizationName"] {
        cases.push((
            Method::POST,
            "/api/auth/register".into(),
            register.clone(),
            field,
        ));
    }
    cases.push((
        Method::POST,
        "/api/auth/forgot-password".into(),
        json!({}),
        "email",
    ));
    let accept = json!({"token": "t", "name": "N", "password": "long enough pw"});
    cases.push((
        Method::POST,
        "/api/auth/accept-invite".into(),
        accept,
        "name",
    ));

    for (method, url, mut body, field) in cases {
        set(&mut body, field, nul_value(&json!({"type": kind(field)})));
        let (status, answer) = fetch(app.authed(method.clone(), &url, &fx.owner).json(&body)).await;
        assert_eq!(status, 422, "{method} {url} {body}: {answer}");
        assert!(
            answer["error"]["details"]["fields"][field].is_string(),
            "{method} {url} {field}: {answer}"
        );
    }

    // A login address with a NUL is a wrong credential like any other.
    let (status, answer) =
        fetch(app.client.post(app.url("/api/auth/login")).json(
            &json!({"email": format!("{}{NUL}", fx.owner.email), "password": "whatever pw"}),
        ))
        .await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_credentials");
}

/// The JSON type a field of these bodies takes.
fn kind(field: &str) -> &'static str {
    match field {
        "voiceSettings" | "llmSettings" | "metadata" | "config" => "object",
        "tools" | "tags" | "events" => "array",
        _ => "string",
    }
}

/// Sets the dotted `path` of `body` to `value`.
fn set(body: &mut Value, path: &str, value: Value) {
    let mut at = body;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            at[part] = value;
            return;
        }
        at = &mut at[part];
    }
}
