//! A provider's stored key is bound to the host it was entered for: moving
//! `baseUrl` (or the provider) to another origin needs the key again, so a
//! connection test never sends the stored key to a new host.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Options, spawn_app_with};
use crate::providers::{GOOD_KEY, call, spawn_provider};

#[tokio::test]
async fn moving_a_provider_to_another_host_needs_its_key_again() {
    let base = spawn_provider();
    let elsewhere = spawn_provider();
    let app = spawn_app_with(Options::default()).await;
    let owner = app.new_org_user("owner").await;
    let body = |base_url: &str, key: Option<&str>| {
        let mut body = json!({"providerType": "llm", "providerName": "openai", "displayName": "GPT",
            "config": {"baseUrl": base_url}});
        if let Some(key) = key {
            body["credentials"] = json!({"apiKey": key});
        }
        body
    };
    let (status, created) = call(
        app.authed(Method::POST, "/api/providers", &owner)
            .json(&body(&base, Some(GOOD_KEY))),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/api/providers/{}", created["id"].as_str().unwrap());

    let (status, refused) = call(
        app.authed(Method::PUT, &path, &owner)
            .json(&body(&elsewhere, None)),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "credential_host_changed");
    // Scheme and port are part of the host the key was entered for.
    let https = base.replacen("http://", "https://", 1);
    let (status, _) = call(
        app.authed(Method::PUT, &path, &owner)
            .json(&body(&https, None)),
    )
    .await;
    assert_eq!(status, 422);

    // Nothing moved: the test still reaches the original host with the key.
    let (status, tested) = call(app.authed(Method::POST, &format!("{path}/test"), &owner)).await;
    assert_eq!(
        (status, tested["success"].clone()),
        (200, json!(true)),
        "{tested}"
    );

    // Same origin, another path: the key stays. Another host with the key: fine.
    let same_host = format!("{base}/");
    let (status, kept) = call(
        app.authed(Method::PUT, &path, &owner)
            .json(&body(&same_host, None)),
    )
    .await;
    assert_eq!(status, 200, "{kept}");
    let (status, moved) = call(
        app.authed(Method::PUT, &path, &owner)
            .json(&body(&elsewhere, Some(GOOD_KEY))),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["config"]["baseUrl"], elsewhere);
}
