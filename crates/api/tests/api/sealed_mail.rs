//! Reset and invitation tokens are not readable at rest: `email_outbox.data` holds the link
//! sealed under ENCRYPTION_KEY, and the mail the worker writes still carries a working link.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{RequestExt, TEST_PASSWORD, TestUser, spawn_app};

/// The first link to `path` in an `.eml` file, its quoted-printable encoding undone.
fn link_in(eml: &str, path: &str) -> Option<String> {
    let text = eml
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find(&format!("http://localhost:3000{path}?token="))?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<'))
        .collect();
    Some(link)
}

/// Waits until the outbox directory holds a mail with a link to `path`.
async fn wait_for_link(outbox: &std::path::Path, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        for entry in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
            let eml = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if let Some(link) = link_in(&eml, path) {
                return link;
            }
        }
        assert!(Instant::now() < deadline, "no mail with a {path} link");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_sealed(raw: &Value) {
    let text = raw.to_string();
    assert!(raw["sealedLink"].is_string(), "{text}");
    assert!(!text.contains("token="), "a link in the clear: {text}");
    assert!(
        !text.contains("esr_") && !text.contains("esi_"),
        "a token: {text}"
    );
}

#[tokio::test]
async fn a_reset_link_is_sealed_at_rest_and_works_from_the_mail_the_worker_wrote() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let outbox = std::env::temp_dir().join(format!("esx-outbox-{}", uuid::Uuid::new_v4().simple()));
    let worker = app.start_worker("email", &outbox).await;

    let response = app
        .post_json("/api/auth/forgot-password", &json!({"email": owner.email}))
        .await;
    assert_eq!(response.status(), 202);
    let raw = app
        .outbox_raw_data(&owner.email, "password_reset")
        .await
        .unwrap();
    assert_sealed(&raw);

    let link = wait_for_link(&outbox, "/reset-password").await;
    let token = link.split_once("token=").unwrap().1;
    let reset = app
        .post_json(
            "/api/auth/reset-password",
            &json!({"token": token, "password": "a brand new secret"}),
        )
        .await;
    assert_eq!(reset.status(), 204);
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 401);
    let login = app.login(&owner.email, "a brand new secret").await;
    assert_eq!(login.status(), 200);
    // The reset revoked every session: sign in again.
    let login: Value = login.json().await.unwrap();
    let owner = TestUser {
        token: login["token"].as_str().unwrap().into(),
        ..owner
    };

    // An invitation's link is sealed the same way, and its mail carries it.
    let invite = app
        .authed(reqwest::Method::POST, "/api/users/invite", &owner)
        .json(&json!({"email": "invitee@example.com", "role": "member"}))
        .sent()
        .await;
    assert_eq!(invite.status(), 201);
    let raw = app
        .outbox_raw_data("invitee@example.com", "invitation")
        .await
        .unwrap();
    assert_sealed(&raw);
    let link = wait_for_link(&outbox, "/accept-invite").await;
    assert!(link.contains("token=esi_"), "{link}");

    let mut worker = worker;
    worker.shutdown();
    worker.join().await.unwrap();
    let _ = std::fs::remove_dir_all(&outbox);
}
