//! NUL in every query parameter and every JSON property the document lists.

use reqwest::Method;
use serde_json::json;

use super::{fixture, nul_value, operations, query_params, schema};
use crate::helpers::{fetch, spawn_app};

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
