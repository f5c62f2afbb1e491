//! The API edge, swept over the routes the OpenAPI document lists: a NUL in
//! a text field or a query parameter, and a huge or malformed `page` or
//! `limit`, answer 4xx with a stable code, never 5xx.

mod fields;
mod pages;
mod sweeps;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, fetch};

const NUL: &str = "a\u{0}b";

/// One of each resource, so paths with an `{id}` reach their handler.
pub struct Fixture {
    pub owner: TestUser,
    pub ids: Vec<(&'static str, String)>,
}

pub async fn created(app: &TestApp, owner: &TestUser, path: &str, body: Value) -> String {
    let (status, body) = fetch(app.authed(Method::POST, path, owner).json(&body)).await;
    assert!(status == 201 || status == 202, "{path}: {status} {body}");
    body["id"].as_str().unwrap().to_owned()
}

pub async fn fixture(app: &TestApp) -> Fixture {
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

pub fn provider_body() -> Value {
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
pub async fn operations(app: &TestApp) -> Vec<(Method, String, Value)> {
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

pub fn query_params(op: &Value) -> Vec<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

/// A NUL-laden value of the property's type.
pub fn nul_value(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("object") => json!({ "k": NUL }),
        Some("array") => json!([NUL]),
        _ => json!(NUL),
    }
}

pub fn schema<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => s,
    }
}
