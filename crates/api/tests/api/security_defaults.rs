//! HTTP defaults: security headers on every answer, `no-store` on answers
//! that carry tokens, CORS closed unless an origin is listed, `/metrics`
//! only for the holder of METRICS_TOKEN, and the login throttle holding
//! parallel guesses to its limit.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Options, RequestExt, TEST_PASSWORD, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in [
        "/health",
        "/api/agents",
        "/no-such-route",
        "/api/openapi.json",
        "/docs",
    ] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    let docs = app.get("/docs").await;
    let csp = docs.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(
        !csp.contains("https:"),
        "nothing from another origin: {csp}"
    );
    let body = docs.text().await.unwrap();
    assert!(!body.contains("https://"), "no CDN: {body}");
    let src = format!("/docs/scalar-{}.js", api::docs_viewer::SCALAR_VERSION);
    assert!(body.contains(&src), "the page loads the embedded viewer");
    let script = app.get(&src).await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // reqwest here does not decode gzip: the bytes are the embedded file.
    assert!(script.bytes().await.unwrap().len() > 500_000);
    assert!(
        app.get("/api/openapi.json").await.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
}

#[tokio::test]
async fn answers_carrying_tokens_are_not_stored() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let login = app.login(&owner.email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store");
    let key = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "k"}))
        .sent()
        .await;
    assert_eq!(key.status(), 201);
    assert_eq!(key.headers()["cache-control"], "no-store");
    let register = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "cc@example.com", "password": TEST_PASSWORD, "name": "C", "organizationName": "C"}),
        )
        .await;
    assert_eq!(register.headers()["cache-control"], "no-store");
    let reset = app
        .post_json(
            "/api/auth/reset-password",
            &json!({"token": "esr_nope", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(reset.headers()["cache-control"], "no-store");
    let accept = app
        .post_json(
            "/api/auth/accept-invite",
            &json!({"token": "esi_nope", "name": "x", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(accept.headers()["cache-control"], "no-store");
}

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/api/agents"))
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .sent()
        .await
}

#[tokio::test]
async fn cors_is_closed_by_default_and_open_to_listed_origins_only() {
    let app = spawn_app().await;
    let response = preflight(&app, "https://evil.example").await;
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
    let simple = app
        .client
        .get(app.url("/health"))
        .header("origin", "https://evil.example")
        .sent()
        .await;
    assert!(!simple.headers().contains_key("access-control-allow-origin"));

    let mut options = Options::default();
    options.server.cors_allowed_origins = vec!["https://app.example.com".into()];
    let app = spawn_app_with(options).await;
    let allowed = preflight(&app, "https://app.example.com").await;
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let other = preflight(&app, "https://evil.example").await;
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn metrics_answer_only_the_metrics_token() {
    let app = spawn_app().await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "metrics_disabled");

    let mut options = Options::default();
    let token = "metrics-token-0123456789";
    options.server.metrics_token = Some(secrecy::SecretString::from(token.to_owned()));
    let app = spawn_app_with(options).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-wrong")
        .sent()
        .await;
    assert_eq!(wrong.status(), 401);
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .sent()
        .await;
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("db_pool_max_connections")
    );
}

#[tokio::test]
async fn parallel_wrong_passwords_are_held_to_the_limit() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let attempts = (0..15).map(|_| app.login(&owner.email, "wrong password!"));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 10), "{statuses:?}");
    // The account is locked for the window, even with the right password.
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 429);
}
