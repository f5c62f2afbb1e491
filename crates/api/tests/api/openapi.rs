//! The OpenAPI document as a contract a client generator can trust:
//! `openapi-spec-validator` (PyPI) accepts it, every response is described,
//! bounds the server enforces are stated, and unauthenticated routes say so.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{fetch, spawn_app};

/// `openapi-spec-validator`, installed with pip when missing (and said so).
fn validator() -> std::path::PathBuf {
    let found = std::process::Command::new("openapi-spec-validator")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("openapi-spec-validator not found: installing it with pip");
        let installed = std::process::Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "openapi-spec-validator"])
            .status()
            .expect("python3 -m pip runs");
        assert!(
            installed.success(),
            "pip install openapi-spec-validator failed"
        );
    }
    "openapi-spec-validator".into()
}

#[tokio::test]
async fn the_document_passes_openapi_spec_validator() {
    let app = spawn_app().await;
    let (status, doc) = fetch(app.client.get(app.url("/api/openapi.json"))).await;
    assert_eq!(status, 200);
    let file = std::env::temp_dir().join(format!("esx-openapi-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = std::process::Command::new(validator())
        .arg(&file)
        .output()
        .expect("openapi-spec-validator runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn operations(doc: &Value) -> impl Iterator<Item = (&String, &String, &Value)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .filter(|(m, _)| m.parse::<Method>().is_ok() || m.as_str() != "parameters")
                .map(move |(m, op)| (path, m, op))
        })
}

#[tokio::test]
async fn every_response_is_described_and_bounds_and_security_are_stated() {
    let app = spawn_app().await;
    let (_, doc) = fetch(app.client.get(app.url("/api/openapi.json"))).await;
    let mut problems = Vec::new();
    for (path, method, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            if response["description"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{method} {path} {status}: no description"));
            }
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in params.iter().filter(|p| p["name"] == "page") {
            if p["schema"]["minimum"] != 1 {
                problems.push(format!("{method} {path}: page without minimum 1"));
            }
        }
        for p in params.iter().filter(|p| p["name"] == "limit") {
            if p["schema"]["minimum"] != 1 || p["schema"]["maximum"] != 100 {
                problems.push(format!("{method} {path}: limit without 1..100"));
            }
        }
        let body = !op["requestBody"].is_null();
        let responses = op["responses"].as_object().unwrap();
        let public = op["security"] == serde_json::json!([]);
        if !public && !responses.contains_key("401") {
            problems.push(format!("{method} {path}: authenticated but no 401"));
        }
        if body && !responses.contains_key("422") {
            problems.push(format!("{method} {path}: takes a body but no 422"));
        }
        if path.starts_with("/health") && !public {
            problems.push(format!("{method} {path}: health needs `security: []`"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn a_method_a_path_lacks_is_405_not_404() {
    let app = spawn_app().await;
    let owner = app.register().await;
    for (method, path) in [
        (Method::PUT, "/api/agents"),
        (Method::DELETE, "/api/call-logs"),
        (Method::POST, "/health"),
        (Method::PATCH, "/api/webhooks"),
        // A fixed path beside a `{id}` one: "invite" is no id, and no 404.
        (Method::PATCH, "/api/users/invite"),
    ] {
        let (status, body) = fetch(app.authed(method.clone(), path, &owner)).await;
        assert_eq!(status, 405, "{method} {path}: {body}");
        assert_eq!(
            body["error"]["code"], "method_not_allowed",
            "{method} {path}: {body}"
        );
    }
}

/// `security: []` is what the server does: without a token, a public
/// operation never answers `unauthorized`, every other one does.
#[tokio::test]
async fn security_matches_what_the_server_enforces() {
    let app = spawn_app().await;
    let (_, doc) = fetch(app.client.get(app.url("/api/openapi.json"))).await;
    let mut problems = Vec::new();
    for (path, method, op) in operations(&doc) {
        // Their own tokens (ADMIN_TOKEN, METRICS_TOKEN) and the WebSocket upgrade.
        if path.starts_with("/api/admin") || path == "/metrics" || path.starts_with("/ws/") {
            continue;
        }
        let url = path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{organization_id}", &uuid::Uuid::new_v4().to_string());
        let method: Method = method.to_uppercase().parse().unwrap();
        let (status, body) = fetch(
            app.client
                .request(method.clone(), app.url(&url))
                .json(&serde_json::json!({})),
        )
        .await;
        let refused = status == 401 && body["error"]["code"] == "unauthorized";
        let public = op["security"] == serde_json::json!([]);
        if public == refused {
            problems.push(format!(
                "{method} {path}: public={public} but answered {status} {body}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
