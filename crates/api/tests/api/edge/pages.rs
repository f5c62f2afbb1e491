//! Huge, negative, fractional and NUL pages and limits on every paginated route.

use reqwest::Method;
use serde_json::json;

use super::{fixture, operations, query_params};
use crate::helpers::{fetch, spawn_app};

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
