//! Voice-platform integrations: upsert one per provider, write-only
//! credentials, roles, and the connection test against a local ElevenLabs.

use reqwest::Method;
use serde_json::{Value, json};
use storage::models::integrations;

use crate::helpers::{Options, TestApp, spawn_app, spawn_app_with};
use crate::providers::{BAD_KEY, GOOD_KEY, audit_rows, call, spawn_provider};

async fn app_with_local_elevenlabs() -> TestApp {
    let mut server = api::config::ServerConfig::for_tests();
    server.elevenlabs_base_url = spawn_provider();
    spawn_app_with(Options {
        server,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn save_creates_then_updates_and_never_returns_credentials() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let member = app.add_user(&owner.organization_id, "member", "i").await;
    let secret = "whsec-platform-secret-42";

    let (status, created) = call(app.authed(Method::POST, "/api/integrations", &owner).json(&json!({
        "provider": "elevenlabs", "credentials": {"apiKey": GOOD_KEY, "webhookSecret": secret}, "config": {"region": "eu"}
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["provider"], "elevenlabs");
    assert_eq!(created["apiKeyLast4"], "cdef");
    assert_eq!(created["hasWebhookSecret"], true);
    assert_eq!(created["status"], "untested");
    assert!(!created.to_string().contains(secret));

    // A second save for the same provider updates it: 200, same id, new key,
    // webhook secret and config kept since they were not sent.
    let (status, updated) = call(
        app.authed(Method::POST, "/api/integrations", &owner)
            .json(&json!({"provider": "elevenlabs", "credentials": {"apiKey": BAD_KEY}})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["apiKeyLast4"], "dcba");
    assert_eq!(updated["hasWebhookSecret"], true);
    assert_eq!(updated["config"], json!({"region": "eu"}));

    let stored = {
        let mut conn = app.state.db.get().await.unwrap();
        integrations::find_by_provider(&mut conn, owner.organization_id, "elevenlabs")
            .await
            .unwrap()
            .unwrap()
    };
    let credentials = stored.credentials(&app.state.encryption).unwrap();
    assert_eq!(credentials.api_key, BAD_KEY);
    assert_eq!(credentials.webhook_secret.as_deref(), Some(secret));
    assert!(
        !stored
            .encrypted_credentials
            .windows(secret.len())
            .any(|w| w == secret.as_bytes())
    );
    assert_eq!(format!("{credentials:?}"), "Credentials([REDACTED])");

    let (status, list) = call(app.authed(Method::GET, "/api/integrations", &member)).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(secret));

    let rows = audit_rows(&app, owner.organization_id).await;
    let actions: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, vec!["integration.created", "integration.updated"]);
    for (_, changes) in rows {
        let text = changes.to_string();
        assert!(
            !text.contains(GOOD_KEY) && !text.contains(BAD_KEY) && !text.contains(secret),
            "{text}"
        );
    }
}

#[tokio::test]
async fn roles_validation_and_body_errors() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let member = app.add_user(&owner.organization_id, "member", "i").await;
    let good = json!({"provider": "elevenlabs", "credentials": {"apiKey": GOOD_KEY}});

    assert_eq!(
        call(
            app.authed(Method::POST, "/api/integrations", &member)
                .json(&good)
        )
        .await
        .0,
        403
    );
    let (status, _) = call(
        app.authed(Method::POST, "/api/integrations/test", &member)
            .json(&json!({"provider": "elevenlabs"})),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        call(app.client.get(app.url("/api/integrations"))).await.0,
        401
    );
    assert_eq!(
        call(app.client.post(app.url("/api/integrations")).json(&good))
            .await
            .0,
        401
    );

    let (status, body) = call(
        app.authed(Method::POST, "/api/integrations", &owner)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["details"]["fields"];
    assert!(
        fields["provider"].is_string() && fields["credentials"].is_string(),
        "{body}"
    );
    let (status, body) = call(app.authed(Method::POST, "/api/integrations", &owner).json(&json!({
        "provider": "twilio", "credentials": {"apiKey": "abc", "webhookSecret": ""}, "config": "x"
    })))
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["details"]["fields"];
    for f in [
        "provider",
        "credentials.apiKey",
        "credentials.webhookSecret",
        "config",
    ] {
        assert!(fields[f].is_string(), "{f}: {body}");
    }
    let (status, body) = call(
        app.authed(Method::POST, "/api/integrations", &owner)
            .json(&json!({"provider": "vapi", "credentials": {"apiKey": GOOD_KEY}, "config": {"baseUrl": "gopher://x"}})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body["error"]["details"]["fields"]["config.baseUrl"].is_string());

    let (status, _) = call(
        app.authed(Method::POST, "/api/integrations", &owner)
            .header("content-type", "application/json")
            .body("{\"provider\""),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        call(
            app.authed(Method::POST, "/api/integrations", &owner)
                .body("provider=x")
        )
        .await
        .0,
        415
    );
    let (status, body) = call(
        app.authed(Method::POST, "/api/integrations/test", &owner)
            .json(&json!({"provider": 1})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = call(
        app.authed(Method::POST, "/api/integrations/test", &owner)
            .json(&json!({"provider": "x"})),
    )
    .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn connection_test_records_active_or_error() {
    let app = app_with_local_elevenlabs().await;
    let owner = app.new_org_user("admin").await;
    let other = app.new_org_user("owner").await;
    let test = json!({"provider": "elevenlabs"});

    // No integration yet: 404.
    let (status, _) = call(
        app.authed(Method::POST, "/api/integrations/test", &owner)
            .json(&test),
    )
    .await;
    assert_eq!(status, 404);

    let save = |key: &str| json!({"provider": "elevenlabs", "credentials": {"apiKey": key}});
    call(
        app.authed(Method::POST, "/api/integrations", &owner)
            .json(&save(GOOD_KEY)),
    )
    .await;
    let (status, result) = call(
        app.authed(Method::POST, "/api/integrations/test", &owner)
            .json(&test),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["status"], "active");
    let (_, list) = call(app.authed(Method::GET, "/api/integrations", &owner)).await;
    assert_eq!(list["data"][0]["status"], "active");
    assert!(list["data"][0]["lastTestedAt"].is_string());

    // Another organization has no integration of its own: 404, and it does
    // not touch the first organization's.
    let (status, _) = call(
        app.authed(Method::POST, "/api/integrations/test", &other)
            .json(&test),
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = call(app.authed(Method::GET, "/api/integrations", &other)).await;
    assert_eq!(list["data"], json!([]));

    call(
        app.authed(Method::POST, "/api/integrations", &owner)
            .json(&save(BAD_KEY)),
    )
    .await;
    let (_, result) = call(
        app.authed(Method::POST, "/api/integrations/test", &owner)
            .json(&test),
    )
    .await;
    assert_eq!(result["success"], false);
    assert_eq!(result["status"], "error");
    let (_, list) = call(app.authed(Method::GET, "/api/integrations", &owner)).await;
    let row: &Value = &list["data"][0];
    assert_eq!(row["status"], "error");
    assert!(row["lastError"].as_str().unwrap().contains("401"), "{row}");

    let actions: Vec<String> = audit_rows(&app, owner.organization_id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        vec![
            "integration.created",
            "integration.tested",
            "integration.updated",
            "integration.tested"
        ]
    );
}
