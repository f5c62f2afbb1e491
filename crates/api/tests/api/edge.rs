//! The API edge, swept over the routes the OpenAPI document lists: a NUL in
//! a text field or a query parameter, and a huge or malformed `page` or
//! `limit`, answer 4xx with a stable code, never 5xx.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, fetch, spawn_app};

const NUL: &str = "a\u{0}b";

/// One of each resource, so paths with an `{id}` reach their handler.
struct Fixture {
    owner: TestUser,
    ids: Vec<(&'static str, String)>,
}

async fn created(app: &TestApp, owner: &TestUser, path: &str, body: Value) -> String {
    let (status, body) = fetch(app.authed(Method::POST, path, owner).json(&body)).await;
    assert!(status == 201 || status == 202, "{path}: {status} {body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn fixture(app: &TestApp) -> Fixture {
    let owner = app.register().await;
    let agent = created(app, &owner, "/api/agents", json!({"name": "Edge"})).await;
    let webhook = created(
        app,
        &owner,
        "/api/webhooks",
        json!({"url": "https://hooks.example.com/edge", "events": ["agent.created"]}),
    )
    .await;
    let provider = created(app, &owner, "/api/providers", provider_body()).await;
    let entry = created(
        app,
        &owner,
        "/api/knowledge-base/entries",
        json!({"title": "Edge", "content": "Edge text"}),
    )
    .await;
    let member = app.add_user(&owner.organization_id, "member", "edge").await;
    let ids = vec![
        ("/api/agents/", agent),
        (
            "/api/webhooks/elevenlabs/",
            owner.organization_id.to_string(),
        ),
        ("/api/webhooks/", webhook),
        ("/api/providers/", provider),
        ("/api/knowledge-base/entries/", entry),
        ("/api/users/", member.user_id.to_string()),
    ];
    Fixture { owner, ids }
}

fn provider_body() -> Value {
    json!({
        "providerType": "llm", "providerName": "openai", "displayName": "Edge",
        "credentials": {"apiKey": "sk-edge-0123456789"}
    })
}

impl Fixture {
    /// `path` with its parameters filled: the fixture's id where it has one,
    /// a fresh UUID (a 404) elsewhere.
    fn fill(&self, path: &str) -> String {
        let id = self
            .ids
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut out = String::new();
        let mut rest = path;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..].find('}').unwrap() + open;
            out.push_str(if &rest[open..=close] == "{queue}" {
                "email"
            } else {
                &id
            });
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// (method, path, operation) of every operation in the document.
async fn operations(app: &TestApp) -> Vec<(Method, String, Value)> {
    let (status, doc) = fetch(app.client.get(app.url("/api/openapi.json"))).await;
    assert_eq!(status, 200);
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Ok(method) = method.to_uppercase().parse::<Method>() {
                out.push((method, path.clone(), op.clone()));
            }
        }
    }
    out
}

fn query_params(op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn huge_and_malformed_pages_answer_422_on_every_paginated_route() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let mut paginated = Vec::new();
    for (method, path, op) in operations(&app).await {
        if method != Method::GET || !query_params(&op).contains(&"page".to_owned()) {
            continue;
        }
        let url = fx.fill(&path);
        for (param, value) in [
            ("page", "9223372036854775807"),
            ("page", "1e30"),
            ("page", "99999999999999999999"),
            ("page", "0"),
            ("page", "-1"),
            ("page", "%00"),
            ("page", "1%00"),
            ("page", "1000000001"),
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "%00"),
            ("limit", "9223372036854775807"),
        ] {
            let (status, body) =
                fetch(app.authed(Method::GET, &format!("{url}?{param}={value}"), &fx.owner)).await;
            assert_eq!(status, 422, "{url}?{param}={value}: {body}");
            assert_eq!(body["error"]["code"], "validation_failed", "{url}: {body}");
            assert!(
                body["error"]["details"]["fields"][param].is_string(),
                "{url}: {body}"
            );
        }
        // The deepest page allowed is a valid, empty page.
        let deepest = 1_000_000_000;
        let (status, body) = fetch(app.authed(
            Method::GET,
            &format!("{url}?page={deepest}&limit=100"),
            &fx.owner,
        ))
        .await;
        assert_eq!(status, 200, "{url}: {body}");
        assert_eq!(body["data"], json!([]), "{url}: {body}");
        paginated.push(path);
    }
    paginated.sort();
    for expected in [
        "/api/agents",
        "/api/api-keys",
        "/api/audit-logs",
        "/api/call-logs",
        "/api/documents",
        "/api/invitations",
        "/api/knowledge-base/entries",
        "/api/providers",
        "/api/users",
        "/api/webhooks",
        "/api/webhooks/{id}/deliveries",
    ] {
        assert!(
            paginated.iter().any(|p| p == expected),
            "{expected} not swept: {paginated:?}"
        );
    }
}

#[tokio::test]
async fn nul_in_any_query_parameter_never_answers_5xx() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let mut swept = 0;
    for (method, path, op) in operations(&app).await {
        if method != Method::GET {
            continue;
        }
        let url = fx.fill(&path);
        for param in query_params(&op) {
            let (status, body) =
                fetch(app.authed(Method::GET, &format!("{url}?{param}=a%00b"), &fx.owner)).await;
            assert!(
                (400..500).contains(&status),
                "{url}?{param}=a%00b: {status} {body}"
            );
            swept += 1;
        }
    }
    assert!(swept >= 20, "only {swept} query parameters swept");
    // Free-text filters name themselves.
    for (url, field) in [
        ("/api/audit-logs?entityType=a%00b", "entityType"),
        ("/api/call-logs?status=a%00b", "status"),
    ] {
        let (status, body) = fetch(app.authed(Method::GET, url, &fx.owner)).await;
        assert_eq!(status, 422, "{url}: {body}");
        assert!(
            body["error"]["details"]["fields"][field].is_string(),
            "{url}: {body}"
        );
    }
}

/// A NUL-laden value of the property's type.
fn nul_value(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("object") => json!({ "k": NUL }),
        Some("array") => json!([NUL]),
        _ => json!(NUL),
    }
}

fn schema<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => s,
    }
}

#[tokio::test]
async fn nul_in_any_json_property_never_answers_5xx() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let (_, doc) = fetch(app.client.get(app.url("/api/openapi.json"))).await;
    let mut swept = 0;
    for (method, path, op) in operations(&app).await {
        let body = &op["requestBody"]["content"]["application/json"]["schema"];
        if body.is_null() {
            continue;
        }
        let body = schema(&doc, body);
        let url = fx.fill(&path);
        for (name, prop) in body["properties"].as_object().into_iter().flatten() {
            let value = json!({ name: nul_value(schema(&doc, prop)) });
            let (status, answer) =
                fetch(app.authed(method.clone(), &url, &fx.owner).json(&value)).await;
            assert!(
                (400..500).contains(&status),
                "{method} {url} {value}: {status} {answer}"
            );
            swept += 1;
        }
    }
    assert!(swept >= 40, "only {swept} properties swept");
}

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
