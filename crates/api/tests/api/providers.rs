//! Providers: CRUD with write-only credentials, one primary per type, and
//! connection tests against a local HTTP server that checks the key.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test on purpose")]

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Options, RequestExt, TestApp, TestUser, spawn_app, spawn_app_with};

/// The key the local provider accepts.
pub const GOOD_KEY: &str = "sk-live-GOOD-0123456789abcdef";
pub const BAD_KEY: &str = "sk-live-BAD-9876543210fedcba";

fn header_is(req: &HttpRequest, name: &str, expected: &str) -> bool {
    req.headers().get(name).and_then(|v| v.to_str().ok()) == Some(expected)
}

fn answer(ok: bool) -> HttpResponse {
    if ok {
        HttpResponse::Ok().json(json!({"ok": true}))
    } else {
        HttpResponse::Unauthorized().finish()
    }
}

/// A local provider on 127.0.0.1:0: ElevenLabs (`xi-api-key`), OpenAI
/// (`Bearer`), Deepgram (`Token`), and `/slow/...` that never answers in time.
pub fn spawn_provider() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/v1/user",
                web::get().to(|r: HttpRequest| async move {
                    answer(header_is(&r, "xi-api-key", GOOD_KEY))
                }),
            )
            .route(
                "/v1/models",
                web::get().to(|r: HttpRequest| async move {
                    answer(header_is(
                        &r,
                        "authorization",
                        &format!("Bearer {GOOD_KEY}"),
                    ))
                }),
            )
            .route(
                "/v1/projects",
                web::get().to(|r: HttpRequest| async move {
                    answer(header_is(&r, "authorization", &format!("Token {GOOD_KEY}")))
                }),
            )
            .route(
                "/slow/v1/models",
                web::get().to(|| async {
                    actix_web::rt::time::sleep(Duration::from_secs(5)).await;
                    HttpResponse::Ok().finish()
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// Every audit row of an organization: (action, changes).
pub async fn audit_rows(app: &TestApp, org: Uuid) -> Vec<(String, Value)> {
    use storage::schema::audit_logs::dsl;
    let mut conn = app.state.db.get().await.unwrap();
    dsl::audit_logs
        .filter(dsl::organization_id.eq(org))
        .order(dsl::created_at.asc())
        .select((dsl::action, dsl::changes))
        .load(&mut conn)
        .await
        .unwrap()
}

/// Sends a request and returns (status, body text), failing the test if the
/// body carries either raw key.
pub async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.sent().await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(GOOD_KEY) && !text.contains(BAD_KEY),
        "a response carried a credential: {text}"
    );
    assert!(
        !text.contains("GOOD-0123") && !text.contains("BAD-9876"),
        "a response carried part of a credential: {text}"
    );
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn provider_body(kind: &str, name: &str, key: &str, config: Value) -> Value {
    json!({"providerType": kind, "providerName": name, "displayName": format!("{name} {kind}"), "credentials": {"apiKey": key}, "config": config})
}

async fn create(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let (status, created) =
        call(app.authed(Method::POST, "/api/providers", user).json(&body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

#[tokio::test]
async fn crud_keeps_credentials_write_only_and_audits_every_write() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let member = app.add_user(&owner.organization_id, "member", "p").await;

    let created = create(
        &app,
        &owner,
        provider_body("llm", "OpenAI", GOOD_KEY, json!({"model": "gpt-4o"})),
    )
    .await;
    assert_eq!(created["providerName"], "openai");
    assert_eq!(created["apiKeyLast4"], "cdef");
    assert_eq!(created["status"], "untested");
    assert_eq!(created["isPrimary"], false);
    assert!(created.get("credentials").is_none() && created.get("encryptedCredentials").is_none());
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/providers/{id}");

    // Sealed at rest: the stored bytes do not contain the key.
    let stored = {
        use storage::models::provider_integrations as pi;
        let mut conn = app.state.db.get().await.unwrap();
        pi::find(&mut conn, owner.organization_id, id.parse().unwrap())
            .await
            .unwrap()
    };
    assert!(
        !stored
            .encrypted_credentials
            .windows(GOOD_KEY.len())
            .any(|w| w == GOOD_KEY.as_bytes())
    );
    let plain = app
        .state
        .encryption
        .decrypt(&stored.encrypted_credentials)
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&plain).unwrap()["apiKey"],
        GOOD_KEY
    );

    // Members read.
    let (status, got) = call(app.authed(Method::GET, &path, &member)).await;
    assert_eq!(status, 200);
    assert_eq!(got["config"], json!({"model": "gpt-4o"}));
    let (status, list) = call(app.authed(Method::GET, "/api/providers?limit=5", &member)).await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["pageSize"], 5);
    assert_eq!(list["data"][0]["id"], json!(id));

    // PUT replaces name and config, keeps the key when credentials are omitted.
    let (status, put) = call(app.authed(Method::PUT, &path, &owner).json(
        &json!({"providerName": "openai", "displayName": "Main LLM", "config": {"model": "o3"}}),
    ))
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["displayName"], "Main LLM");
    assert_eq!(put["apiKeyLast4"], "cdef");
    let (status, put) = call(
        app.authed(Method::PUT, &path, &owner).json(&json!({"providerName": "openai", "displayName": "Main LLM", "credentials": {"apiKey": BAD_KEY}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(put["apiKeyLast4"], "dcba");
    assert_eq!(put["config"], json!({}));
    let (status, put) = call(
        app.authed(Method::PUT, &path, &owner)
            .json(&json!({"providerType": "tts", "providerName": "openai", "displayName": "x"})),
    )
    .await;
    assert_eq!(status, 422);
    assert!(put["error"]["details"]["fields"]["providerType"].is_string());

    let (status, _) = call(app.authed(Method::DELETE, &path, &owner)).await;
    assert_eq!(status, 204);
    let (status, _) = call(app.authed(Method::GET, &path, &owner)).await;
    assert_eq!(status, 404);

    let rows = audit_rows(&app, owner.organization_id).await;
    let actions: Vec<&str> = rows.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "provider.created",
            "provider.updated",
            "provider.updated",
            "provider.deleted"
        ]
    );
    for (_, changes) in &rows {
        let text = changes.to_string();
        assert!(
            !text.contains(GOOD_KEY) && !text.contains(BAD_KEY),
            "audit carried a key: {text}"
        );
    }
}

#[tokio::test]
async fn validation_names_each_field() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let (status, body) = call(
        app.authed(Method::POST, "/api/providers", &owner)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["details"]["fields"];
    for f in ["providerType", "providerName", "displayName", "credentials"] {
        assert!(fields[f].is_string(), "{f}: {body}");
    }
    let (status, body) = call(
        app.authed(Method::POST, "/api/providers", &owner).json(&json!({
            "providerType": "video", "providerName": "bad name!", "displayName": " ", "credentials": {"apiKey": "short"}, "config": []
        })),
    )
    .await;
    assert_eq!(status, 422);
    let fields = &body["error"]["details"]["fields"];
    for f in [
        "providerType",
        "providerName",
        "displayName",
        "credentials.apiKey",
        "config",
    ] {
        assert!(fields[f].is_string(), "{f}: {body}");
    }
    // An unknown provider needs a base URL; a base URL must be http(s).
    for config in [
        json!({}),
        json!({"baseUrl": "ftp://x"}),
        json!({"baseUrl": "not a url"}),
        json!({"baseUrl": 5}),
    ] {
        let (status, body) = call(
            app.authed(Method::POST, "/api/providers", &owner)
                .json(&provider_body("llm", "acme", GOOD_KEY, config)),
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            body["error"]["details"]["fields"]["config.baseUrl"].is_string(),
            "{body}"
        );
    }
    let (status, _) = call(app.authed(Method::POST, "/api/providers", &owner).json(
        &provider_body(
            "llm",
            "acme",
            GOOD_KEY,
            json!({"baseUrl": "https://llm.acme.test"}),
        ),
    ))
    .await;
    assert_eq!(status, 201);

    let (status, _) = call(
        app.authed(Method::POST, "/api/providers", &owner)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        app.authed(Method::POST, "/api/providers", &owner)
            .body("providerType=tts"),
    )
    .await;
    assert_eq!(status, 415);
    let (status, _) = call(app.client.get(app.url("/api/providers"))).await;
    assert_eq!(status, 401);
    let (status, _) = call(app.client.post(app.url("/api/providers")).json(&json!({}))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn members_cannot_write_and_other_organizations_get_404() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let member = app.add_user(&owner.organization_id, "member", "m").await;
    let stranger = app.new_org_user("owner").await;
    let created = create(
        &app,
        &owner,
        provider_body("tts", "elevenlabs", GOOD_KEY, json!({})),
    )
    .await;
    let path = format!("/api/providers/{}", created["id"].as_str().unwrap());
    let replace = json!({"providerName": "elevenlabs", "displayName": "x"});

    let (status, _) = call(
        app.authed(Method::POST, "/api/providers", &member)
            .json(&provider_body("tts", "elevenlabs", GOOD_KEY, json!({}))),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        call(app.authed(Method::PUT, &path, &member).json(&replace))
            .await
            .0,
        403
    );
    assert_eq!(
        call(app.authed(Method::DELETE, &path, &member)).await.0,
        403
    );
    assert_eq!(
        call(app.authed(Method::POST, &format!("{path}/set-primary"), &member))
            .await
            .0,
        403
    );
    assert_eq!(
        call(app.authed(Method::POST, &format!("{path}/test"), &member))
            .await
            .0,
        403
    );

    for p in [
        path.clone(),
        "/api/providers/nope".into(),
        format!("/api/providers/{}", Uuid::new_v4()),
    ] {
        assert_eq!(
            call(app.authed(Method::GET, &p, &stranger)).await.0,
            404,
            "{p}"
        );
        assert_eq!(
            call(app.authed(Method::PUT, &p, &stranger).json(&replace))
                .await
                .0,
            404,
            "{p}"
        );
        assert_eq!(
            call(app.authed(Method::DELETE, &p, &stranger)).await.0,
            404,
            "{p}"
        );
        assert_eq!(
            call(app.authed(Method::POST, &format!("{p}/set-primary"), &stranger))
                .await
                .0,
            404,
            "{p}"
        );
        assert_eq!(
            call(app.authed(Method::POST, &format!("{p}/test"), &stranger))
                .await
                .0,
            404,
            "{p}"
        );
    }
    let (_, list) = call(app.authed(Method::GET, "/api/providers", &stranger)).await;
    assert_eq!(list["total"], 0);
    let (_, still) = call(app.authed(Method::GET, &path, &owner)).await;
    assert_eq!(still["displayName"], "elevenlabs tts");
}

#[tokio::test]
async fn one_primary_per_type() {
    let app = spawn_app().await;
    let owner = app.new_org_user("owner").await;
    let a = create(
        &app,
        &owner,
        provider_body("tts", "elevenlabs", GOOD_KEY, json!({})),
    )
    .await;
    let b = create(
        &app,
        &owner,
        provider_body("tts", "openai", GOOD_KEY, json!({})),
    )
    .await;
    let llm = create(
        &app,
        &owner,
        provider_body("llm", "openai", GOOD_KEY, json!({})),
    )
    .await;
    let set = |p: &Value| format!("/api/providers/{}/set-primary", p["id"].as_str().unwrap());
    let get = |p: &Value| format!("/api/providers/{}", p["id"].as_str().unwrap());

    let (status, body) = call(app.authed(Method::POST, &set(&llm), &owner)).await;
    assert_eq!(status, 200);
    assert_eq!(body["isPrimary"], true);
    let (status, body) = call(app.authed(Method::POST, &set(&a), &owner)).await;
    assert_eq!(status, 200);
    assert_eq!(body["isPrimary"], true);
    let (_, body) = call(app.authed(Method::POST, &set(&a), &owner)).await;
    assert_eq!(body["isPrimary"], true, "setting it again is harmless");
    let (status, _) = call(app.authed(Method::POST, &set(&b), &owner)).await;
    assert_eq!(status, 200);

    let (_, a_now) = call(app.authed(Method::GET, &get(&a), &owner)).await;
    let (_, b_now) = call(app.authed(Method::GET, &get(&b), &owner)).await;
    let (_, llm_now) = call(app.authed(Method::GET, &get(&llm), &owner)).await;
    assert_eq!(
        (a_now["isPrimary"].clone(), b_now["isPrimary"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(llm_now["isPrimary"], true, "another type keeps its primary");

    let rows = audit_rows(&app, owner.organization_id).await;
    let last = rows.last().unwrap();
    assert_eq!(last.0, "provider.primary_set");
    assert_eq!(last.1["previousPrimaryId"], a["id"]);
}

#[tokio::test]
async fn connection_test_checks_the_key_against_a_local_provider() {
    let base = spawn_provider();
    let mut server = api::config::ServerConfig::for_tests();
    server.elevenlabs_base_url = base.clone();
    let app = spawn_app_with(Options {
        server,
        ..Options::default()
    })
    .await;
    let owner = app.new_org_user("owner").await;

    let cases = [
        ("llm", "openai", GOOD_KEY, json!({"baseUrl": base}), true),
        ("llm", "openai", BAD_KEY, json!({"baseUrl": base}), false),
        (
            "stt",
            "deepgram",
            GOOD_KEY,
            json!({"baseUrl": format!("{base}/")}),
            true,
        ),
        ("stt", "deepgram", BAD_KEY, json!({"baseUrl": base}), false),
        // ElevenLabs defaults to the server's ELEVENLABS_BASE_URL.
        ("tts", "elevenlabs", GOOD_KEY, json!({}), true),
        ("tts", "elevenlabs", BAD_KEY, json!({}), false),
        // An unknown name is OpenAI-compatible at its baseUrl.
        ("llm", "local-llm", GOOD_KEY, json!({"baseUrl": base}), true),
    ];
    for (kind, name, key, config, ok) in cases {
        let created = create(&app, &owner, provider_body(kind, name, key, config)).await;
        let path = format!("/api/providers/{}", created["id"].as_str().unwrap());
        let (status, result) =
            call(app.authed(Method::POST, &format!("{path}/test"), &owner)).await;
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["success"], ok, "{name} {key}: {result}");
        assert_eq!(result["status"], if ok { "active" } else { "error" });
        assert!(result["latencyMs"].is_u64());
        assert!(result["message"].is_string());
        let (_, row) = call(app.authed(Method::GET, &path, &owner)).await;
        assert_eq!(row["status"], if ok { "active" } else { "error" });
        assert!(row["lastTestedAt"].is_string());
        assert_eq!(row["lastError"].is_null(), ok, "{row}");
        if !ok {
            assert!(row["lastError"].as_str().unwrap().contains("401"), "{row}");
        }
    }
    // Nothing listening: an error, not a 500.
    let created = create(
        &app,
        &owner,
        provider_body(
            "llm",
            "openai",
            GOOD_KEY,
            json!({"baseUrl": "http://127.0.0.1:9"}),
        ),
    )
    .await;
    let (status, result) = call(app.authed(
        Method::POST,
        &format!("/api/providers/{}/test", created["id"].as_str().unwrap()),
        &owner,
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(result["success"], false);
    let tested = audit_rows(&app, owner.organization_id)
        .await
        .iter()
        .filter(|(a, _)| a == "provider.tested")
        .count();
    assert_eq!(tested, 8);
}

#[tokio::test]
async fn connection_test_times_out() {
    let base = spawn_provider();
    let mut server = api::config::ServerConfig::for_tests();
    server.provider_test_timeout_ms = 300;
    let app = spawn_app_with(Options {
        server,
        ..Options::default()
    })
    .await;
    let owner = app.new_org_user("admin").await;
    let created = create(
        &app,
        &owner,
        provider_body(
            "llm",
            "openai",
            GOOD_KEY,
            json!({"baseUrl": format!("{base}/slow")}),
        ),
    )
    .await;
    let (status, result) = call(app.authed(
        Method::POST,
        &format!("/api/providers/{}/test", created["id"].as_str().unwrap()),
        &owner,
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(result["success"], false);
    assert_eq!(result["status"], "error");
    assert!(
        result["message"].as_str().unwrap().contains("300 ms"),
        "{result}"
    );
}

#[tokio::test]
async fn connection_test_refuses_private_addresses_unless_allowed() {
    let base = spawn_provider();
    let mut server = api::config::ServerConfig::for_tests();
    server.provider_allow_private = false;
    let app = spawn_app_with(Options {
        server,
        ..Options::default()
    })
    .await;
    let owner = app.new_org_user("owner").await;
    // The provider answers on 127.0.0.1, and by name through localhost.
    let by_name = base.replace("127.0.0.1", "localhost");
    for url in [base.clone(), by_name, "http://169.254.169.254".to_owned()] {
        let created = create(
            &app,
            &owner,
            provider_body("llm", "openai", GOOD_KEY, json!({"baseUrl": url})),
        )
        .await;
        let path = format!("/api/providers/{}/test", created["id"].as_str().unwrap());
        let (status, result) = call(app.authed(Method::POST, &path, &owner)).await;
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["success"], false, "{url}: {result}");
        assert!(
            result["message"].as_str().unwrap().contains("refused"),
            "{url}: {result}"
        );
    }
}
