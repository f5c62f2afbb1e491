//! `echosenseix-api rotate-encryption-key`, the real binary against the test database: every
//! sealed value moves to the new key in one transaction, a value neither key opens changes
//! nothing, a second run changes nothing, and neither key is printed.

use crypto::EncryptionKey;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use storage::schema::{email_outbox, integrations, webhooks};
use storage::test_cli::output_without_secrets;
use uuid::Uuid;

use crate::helpers::spawn_app;
use crate::helpers::{RequestExt, TestApp};
use crate::inbound_webhooks::add_integration;

const BINARY: &str = env!("CARGO_BIN_EXE_echosenseix-api");

/// Runs the command; `Some(summary line)` when it succeeded, and the whole output.
fn rotate(app: &TestApp, new_hex: &str) -> (Option<String>, String) {
    let env = [
        ("DATABASE_URL", app.db.url()),
        ("ENCRYPTION_KEY", app.encryption_key_hex.as_str()),
        ("NEW_ENCRYPTION_KEY", new_hex),
        ("LOG_FORMAT", "json"),
    ];
    let output = output_without_secrets(BINARY, &["rotate-encryption-key"], &env);
    let summary = output
        .lines()
        .find(|line| line.contains("every stored secret is under the new key"))
        .map(str::to_owned);
    (summary, output)
}

/// Every sealed value of the database, as stored.
async fn sealed_values(app: &TestApp) -> Vec<Vec<u8>> {
    let mut conn = app.state.db.get().await.unwrap();
    let mut values: Vec<Vec<u8>> = integrations::table
        .select(integrations::encrypted_credentials)
        .load(&mut conn)
        .await
        .unwrap();
    values.extend(
        webhooks::table
            .select(webhooks::encrypted_secret)
            .load::<Vec<u8>>(&mut conn)
            .await
            .unwrap(),
    );
    values.sort();
    values
}

async fn outbox_rows(app: &TestApp) -> Vec<serde_json::Value> {
    let mut conn = app.state.db.get().await.unwrap();
    email_outbox::table
        .filter(email_outbox::template.eq("invitation"))
        .select(email_outbox::data)
        .load(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn rotation_moves_every_secret_to_the_new_key_once() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let old = EncryptionKey::from_hex(&app.encryption_key_hex).unwrap();
    add_integration(
        &app,
        owner.organization_id,
        json!({"apiKey": "sk_rotate", "webhookSecret": "whsec_rotate"}),
    )
    .await;
    let created = app
        .authed(Method::POST, "/api/webhooks", &owner)
        .json(&json!({"url": "https://hooks.example.com/in", "events": ["call.completed"]}))
        .sent()
        .await;
    assert_eq!(created.status(), 201);
    let invited = app
        .authed(Method::POST, "/api/users/invite", &owner)
        .json(&json!({"email": "rotate@example.com", "role": "member"}))
        .sent()
        .await;
    assert_eq!(invited.status(), 201);
    let before = sealed_values(&app).await;
    let link =
        crypto::sealed_link::open(&outbox_rows(&app).await[0], &old).unwrap()["link"].clone();
    let new_hex = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let new = EncryptionKey::from_hex(&new_hex).unwrap();

    // A value that opens under neither key stops the rotation with nothing changed.
    app.execute_sql(&format!(
        "INSERT INTO webhooks (organization_id, url, encrypted_secret, events)
         VALUES ('{}', 'https://x.example.com', '\\x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff', ARRAY['call.completed'])",
        owner.organization_id
    ))
    .await;
    let (summary, output) = rotate(&app, &new_hex);
    assert!(summary.is_none(), "{output}");
    assert!(output.contains("opens under neither key"), "{output}");
    app.execute_sql("DELETE FROM webhooks WHERE url = 'https://x.example.com'")
        .await;
    assert_eq!(sealed_values(&app).await, before);

    let (summary, output) = rotate(&app, &new_hex);
    let summary = summary.unwrap_or_else(|| panic!("{output}"));
    assert!(summary.contains("\"rotated\":3"), "{summary}");
    assert!(summary.contains("\"already_rotated\":0"), "{summary}");
    for value in sealed_values(&app).await {
        assert!(new.decrypt(&value).is_ok());
        assert!(old.decrypt(&value).is_err());
    }
    let outbox = outbox_rows(&app).await;
    assert!(crypto::sealed_link::open(&outbox[0], &old).is_err());
    assert_eq!(
        crypto::sealed_link::open(&outbox[0], &new).unwrap()["link"],
        link
    );

    // Idempotent: everything is already under the new key.
    let (summary, output) = rotate(&app, &new_hex);
    let summary = summary.unwrap_or_else(|| panic!("{output}"));
    assert!(summary.contains("\"rotated\":0"), "{summary}");
    assert!(summary.contains("\"already_rotated\":3"), "{summary}");
}
