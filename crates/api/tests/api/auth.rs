//! Registration, login, logout, profile, throttling and password resets.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Options, RequestExt, TEST_PASSWORD, TestUser, spawn_app, spawn_app_with, token_from_link,
};

fn fields(body: &Value) -> &serde_json::Map<String, Value> {
    body["error"]["details"]["fields"]
        .as_object()
        .expect("details.fields")
}

#[tokio::test]
async fn register_creates_organization_owner_session_and_welcome_mail() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "Ada@Example.com", "password": "password123", "name": " Ada ", "organizationName": "Acme"}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert!(body["token"].as_str().unwrap().starts_with("esx_"));
    assert!(body["expiresAt"].is_string());
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada");
    assert_eq!(body["user"]["role"], "owner");
    assert_eq!(body["organization"]["name"], "Acme");
    assert_eq!(body["organization"]["plan"], "free");
    assert!(
        body["user"].get("passwordHash").is_none() && body["user"].get("password_hash").is_none()
    );

    let user = TestUser {
        token: body["token"].as_str().unwrap().into(),
        user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
        organization_id: body["organization"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        email: "ada@example.com".into(),
    };
    let profile = app
        .authed(Method::GET, "/api/user/profile", &user)
        .sent()
        .await;
    assert_eq!(profile.status(), 200);
    let profile: Value = profile.json().await.unwrap();
    assert_eq!(profile["email"], "ada@example.com");
    assert_eq!(profile["organization"]["id"], body["organization"]["id"]);

    let welcome = app
        .outbox_data("ada@example.com", "welcome")
        .await
        .expect("welcome mail queued");
    assert_eq!(welcome["organizationName"], "Acme");
    assert_eq!(
        app.audit_actions(user.organization_id).await,
        vec!["user.registered"]
    );
}

#[tokio::test]
async fn register_refuses_a_taken_address_in_any_case() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": owner.email.to_uppercase(), "password": "password123", "name": "B", "organizationName": "B"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "email_taken");
}

#[tokio::test]
async fn register_validation_names_every_field() {
    let app = spawn_app().await;
    let response = app.post_json("/api/auth/register", &json!({})).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    let f = fields(&body);
    for name in ["email", "password", "name", "organizationName"] {
        assert!(f.contains_key(name), "{name} in {f:?}");
    }

    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "not-an-email", "password": "short", "name": "Ok", "organizationName": "Ok"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let f = fields(&body);
    assert!(f.contains_key("email") && f.contains_key("password") && !f.contains_key("name"));

    let long = "x".repeat(129);
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": "a@b.io", "password": long, "name": "Ok", "organizationName": "Ok"}),
        )
        .await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn malformed_json_is_400_and_wrong_content_type_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .sent()
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");

    let response = app
        .client
        .post(app.url("/api/auth/register"))
        .header("content-type", "text/plain")
        .body("email=a@b.io")
        .sent()
        .await;
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn login_answers_a_session_and_records_last_login() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let response = app.login(&owner.email.to_uppercase(), TEST_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("esx_") && token != owner.token);
    assert!(body["expiresAt"].is_string());
    assert!(body["user"]["lastLoginAt"].is_string());
    assert_eq!(body["user"]["id"], owner.user_id.to_string());

    let response = app
        .client
        .get(app.url("/api/user/profile"))
        .bearer_auth(token)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn wrong_password_and_unknown_address_get_the_same_401() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let wrong = app.login(&owner.email, "wrong password").await;
    let unknown = app.login("nobody@example.com", TEST_PASSWORD).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"]["code"], "invalid_credentials");

    let missing = app
        .post_json("/api/auth/login", &json!({"email": ""}))
        .await;
    assert_eq!(missing.status(), 422);
    let missing: Value = missing.json().await.unwrap();
    assert!(fields(&missing).contains_key("email") && fields(&missing).contains_key("password"));
}

#[tokio::test]
async fn bad_expired_and_revoked_tokens_are_401() {
    let app = spawn_app().await;
    let owner = app.register().await;
    assert_eq!(app.get("/api/user/profile").await.status(), 401);
    for token in [
        "garbage",
        "esx_not-a-real-token",
        "esk_not-a-real-key",
        "Bearer",
    ] {
        let response = app
            .client
            .get(app.url("/api/user/profile"))
            .bearer_auth(token)
            .sent()
            .await;
        assert_eq!(response.status(), 401, "{token}");
    }

    let login: Value = app
        .login(&owner.email, TEST_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let second = TestUser {
        token: login["token"].as_str().unwrap().into(),
        ..owner.clone()
    };
    app.execute_sql(&format!(
        "UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE user_id = '{}' AND created_at = (SELECT max(created_at) FROM sessions WHERE user_id = '{}')",
        owner.user_id, owner.user_id
    ))
    .await;
    assert_eq!(
        app.authed(Method::GET, "/api/user/profile", &second)
            .sent()
            .await
            .status(),
        401
    );
    // The other session of the same user is untouched.
    assert_eq!(
        app.authed(Method::GET, "/api/user/profile", &owner)
            .sent()
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn logout_revokes_the_token_at_once() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let response = app
        .authed(Method::POST, "/api/auth/logout", &owner)
        .sent()
        .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.authed(Method::GET, "/api/user/profile", &owner)
            .sent()
            .await
            .status(),
        401
    );
    assert_eq!(
        app.authed(Method::POST, "/api/auth/logout", &owner)
            .sent()
            .await
            .status(),
        401
    );
}

fn throttled(account: u32, per_ip: u32) -> Options {
    let mut options = Options::default();
    options.server.login_max_failures = account;
    options.server.login_max_failures_per_ip = per_ip;
    options.server.login_window_secs = 60;
    options
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_with_retry_after() {
    let app = spawn_app_with(throttled(3, 100)).await;
    let owner = app.register().await;
    for _ in 0..3 {
        assert_eq!(
            app.login(&owner.email, "wrong password").await.status(),
            401
        );
    }
    let response = app.login(&owner.email, TEST_PASSWORD).await;
    assert_eq!(response.status(), 429, "even the right password waits");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    // Another account from the same address is not locked.
    let other = app.register().await;
    assert_eq!(app.login(&other.email, TEST_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn successful_logins_do_not_count() {
    let app = spawn_app_with(throttled(2, 3)).await;
    let owner = app.register().await;
    for _ in 0..5 {
        assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 200);
    }
    // A success clears the account's failures.
    assert_eq!(
        app.login(&owner.email, "wrong password").await.status(),
        401
    );
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 200);
    assert_eq!(
        app.login(&owner.email, "wrong password").await.status(),
        401
    );
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_address() {
    let app = spawn_app_with(throttled(100, 3)).await;
    for i in 0..3 {
        assert_eq!(
            app.login(&format!("guess{i}@example.com"), "whatever1")
                .await
                .status(),
            401
        );
    }
    let response = app.login("guess9@example.com", "whatever1").await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn login_fails_open_when_redis_is_unreachable() {
    let mut options = throttled(1, 1);
    options.redis_url = Some("redis://127.0.0.1:1".into());
    let app = spawn_app_with(options).await;
    let owner = app.register().await;
    for _ in 0..3 {
        assert_eq!(
            app.login(&owner.email, "wrong password").await.status(),
            401
        );
    }
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn forgot_password_answers_the_same_whether_or_not_the_address_exists() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let known = app
        .post_json("/api/auth/forgot-password", &json!({"email": owner.email}))
        .await;
    let unknown = app
        .post_json(
            "/api/auth/forgot-password",
            &json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(
        app.outbox_data(&owner.email, "password_reset")
            .await
            .is_some()
    );
    assert!(
        app.outbox_data("nobody@example.com", "password_reset")
            .await
            .is_none()
    );
    let bad = app
        .post_json("/api/auth/forgot-password", &json!({"email": "nope"}))
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn reset_password_is_single_use_and_revokes_every_session() {
    let app = spawn_app().await;
    let owner = app.register().await;
    let login: Value = app
        .login(&owner.email, TEST_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let second = TestUser {
        token: login["token"].as_str().unwrap().into(),
        ..owner.clone()
    };
    app.post_json("/api/auth/forgot-password", &json!({"email": owner.email}))
        .await;
    let mail = app
        .outbox_data(&owner.email, "password_reset")
        .await
        .unwrap();
    let token = token_from_link(mail["link"].as_str().unwrap());

    let short = app
        .post_json(
            "/api/auth/reset-password",
            &json!({"token": token, "password": "short"}),
        )
        .await;
    assert_eq!(short.status(), 422);
    let response = app
        .post_json(
            "/api/auth/reset-password",
            &json!({"token": token, "password": "a brand new secret"}),
        )
        .await;
    assert_eq!(response.status(), 204);
    for user in [&owner, &second] {
        assert_eq!(
            app.authed(Method::GET, "/api/user/profile", user)
                .sent()
                .await
                .status(),
            401
        );
    }
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 401);
    assert_eq!(
        app.login(&owner.email, "a brand new secret").await.status(),
        200
    );

    let again = app
        .post_json(
            "/api/auth/reset-password",
            &json!({"token": token, "password": "yet another secret"}),
        )
        .await;
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_token");
    assert!(
        app.audit_actions(owner.organization_id)
            .await
            .contains(&"user.password_reset".to_owned())
    );
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = spawn_app().await;
    let owner = app.register().await;
    app.post_json("/api/auth/forgot-password", &json!({"email": owner.email}))
        .await;
    let mail = app
        .outbox_data(&owner.email, "password_reset")
        .await
        .unwrap();
    let token = token_from_link(mail["link"].as_str().unwrap());
    app.execute_sql("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .await;
    let response = app
        .post_json(
            "/api/auth/reset-password",
            &json!({"token": token, "password": "a brand new secret"}),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.login(&owner.email, TEST_PASSWORD).await.status(), 200);
}

/// Every answer of a whole session of use, checked for secrets: the
/// password, token digests, and the API key after the answer that shows it.
#[tokio::test]
async fn no_response_contains_a_password_a_digest_or_an_api_key() {
    let app = spawn_app().await;
    let mut bodies: Vec<String> = Vec::new();
    let password = "super secret passphrase";
    let email = "leak-check@example.com";
    let mut record = |text: String| bodies.push(text);

    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"email": email, "password": password, "name": "L", "organizationName": "L"}),
        )
        .await;
    let registered: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let token = registered["token"].as_str().unwrap().to_owned();
    let owner = TestUser {
        token: token.clone(),
        user_id: registered["user"]["id"].as_str().unwrap().parse().unwrap(),
        organization_id: registered["organization"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        email: email.into(),
    };
    record(app.login(email, password).await.text().await.unwrap());
    record(
        app.login(email, "wrong password!")
            .await
            .text()
            .await
            .unwrap(),
    );
    record(
        app.authed(Method::GET, "/api/user/profile", &owner)
            .sent()
            .await
            .text()
            .await
            .unwrap(),
    );
    let created: Value = app
        .authed(Method::POST, "/api/api-keys", &owner)
        .json(&json!({"name": "ci"}))
        .sent()
        .await
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    for path in [
        "/api/api-keys",
        "/api/users",
        "/api/audit-logs",
        "/api/user/profile",
    ] {
        record(
            app.authed(Method::GET, path, &owner)
                .sent()
                .await
                .text()
                .await
                .unwrap(),
        );
        let via_key = app.client.get(app.url(path)).bearer_auth(&key).sent().await;
        record(via_key.text().await.unwrap());
    }
    let invite = app
        .authed(Method::POST, "/api/users/invite", &owner)
        .json(&json!({"email": "new@example.com", "role": "member"}));
    record(invite.sent().await.text().await.unwrap());
    record(
        app.post_json("/api/auth/forgot-password", &json!({"email": email}))
            .await
            .text()
            .await
            .unwrap(),
    );
    record(
        app.post_json(
            "/api/auth/reset-password",
            &json!({"token": "esr_bogus", "password": password}),
        )
        .await
        .text()
        .await
        .unwrap(),
    );

    let digest_hex = hex::encode(crypto::token_digest(&token));
    let key_digest_hex = hex::encode(crypto::token_digest(&key));
    assert!(bodies.len() > 10);
    for body in &bodies {
        assert!(!body.contains(password), "password in {body}");
        assert!(!body.contains(&key), "API key in {body}");
        assert!(
            !body.contains(&digest_hex) && !body.contains(&key_digest_hex),
            "digest in {body}"
        );
        assert!(!body.contains("argon2"), "password hash in {body}");
        assert!(
            !body.to_lowercase().contains("hash"),
            "hash field in {body}"
        );
    }
}
