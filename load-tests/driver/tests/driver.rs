//! Runs the built driver against a tiny local server (fixed JSON answers with
//! `X-Cache` headers, a login route and a WebSocket route) and checks the
//! figures it writes as JSON. Nothing here asserts on speed.

// Test code: a failed unwrap is a failed test. The handshake callback's error
// type is tungstenite's, large or not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::result_large_err)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

const TOKEN: &str = "tok-test-123";

async fn spawn_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = Arc::new(AtomicU64::new(0));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, counter.clone()));
        }
    });
    format!("http://{addr}")
}

async fn connection(stream: TcpStream, counter: Arc<AtomicU64>) {
    let mut head = [0u8; 8];
    for _ in 0..200 {
        match stream.peek(&mut head).await {
            Ok(0) | Err(_) => return,
            Ok(n) if n >= head.len() => break,
            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    if &head == b"GET /ws/" {
        websocket(stream).await;
    } else {
        http(stream, counter).await;
    }
}

/// Checks the token in the query, pushes one event, then waits for the close.
async fn websocket(stream: TcpStream) {
    let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        if req.uri().query() == Some(&format!("token={TOKEN}")[..]) {
            Ok(resp)
        } else {
            let mut denied = ErrorResponse::new(None);
            *denied.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
            Err(denied)
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, check).await else {
        return;
    };
    let event = r#"{"type":"connected","organizationId":"o","data":{},"timestamp":"t"}"#;
    if ws.send(Message::text(event)).await.is_err() {
        return;
    }
    while let Some(Ok(msg)) = ws.next().await {
        if msg.is_close() {
            break;
        }
    }
}

/// HTTP/1.1 with keep-alive: one fixed JSON answer per route.
async fn http(stream: TcpStream, counter: Arc<AtomicU64>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let (mut length, mut auth) = (0usize, String::new());
        loop {
            let mut header = String::new();
            if read.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => auth = value.trim().to_owned(),
                _ => {}
            }
        }
        let mut body = vec![0u8; length];
        if read.read_exact(&mut body).await.is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, cache, answer) = route(&method, &path, &auth, &body, &counter);
        let cache = cache
            .map(|c| format!("X-Cache: {c}\r\n"))
            .unwrap_or_default();
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{cache}\r\n{answer}",
            answer.len()
        );
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn route(
    method: &str,
    path: &str,
    auth: &str,
    body: &Value,
    counter: &AtomicU64,
) -> (&'static str, Option<&'static str>, String) {
    let path_only = path.split('?').next().unwrap_or("");
    if (method, path_only) == ("POST", "/api/auth/login") {
        return if body["password"] == "password123" {
            let answer = serde_json::json!({
                "token": TOKEN,
                "expiresAt": "2030-01-01T00:00:00Z",
                "user": {"email": body["email"], "role": "owner"},
            });
            ("200 OK", None, answer.to_string())
        } else {
            let error = r#"{"error":{"code":"invalid_credentials","message":"wrong"}}"#;
            ("401 Unauthorized", None, error.to_owned())
        };
    }
    if path_only == "/health" {
        return ("200 OK", None, r#"{"status":"healthy"}"#.to_owned());
    }
    if auth != format!("Bearer {TOKEN}") {
        return ("401 Unauthorized", None, "{}".to_owned());
    }
    if path_only == "/api/knowledge-base/search" && body["maxResults"] != 10 {
        return ("422 Unprocessable Entity", None, "{}".to_owned());
    }
    // The mix asks for an unknown agent on purpose and expects this 404.
    if let Some(id) = path_only.strip_prefix("/api/agents/") {
        let found = uuid_like(id);
        return (
            "404 Not Found",
            None,
            format!(r#"{{"error":{{"code":"not_found","message":"{found}"}}}}"#),
        );
    }
    // Every third answer is a miss, so the ratio is neither 0 nor 1.
    let cache = if counter.fetch_add(1, Ordering::Relaxed).is_multiple_of(3) {
        "MISS"
    } else {
        "HIT"
    };
    ("200 OK", Some(cache), r#"{"data":[],"total":0}"#.to_owned())
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

fn json_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("loadtest-{}-{name}.json", std::process::id()))
}

/// Runs the driver binary; returns its exit success, stderr and the JSON figures.
async fn drive(name: &str, args: &[&str]) -> (bool, String, Option<Value>) {
    let path = json_path(name);
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_echosenseix-loadtest"))
            .args(args)
            .args(["--progress", "0", "--json"])
            .arg(&path)
            .output(),
    )
    .await
    .expect("the driver did not finish within 60 s")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = std::fs::read(&path)
        .ok()
        .map(|b| serde_json::from_slice(&b).unwrap());
    let _ = std::fs::remove_file(&path);
    (out.status.success(), stderr, json)
}

// The bars are set out of reach of any machine, so the verdict never depends on speed.
const LOOSE: [&str; 4] = ["--p95-ms", "1000000", "--p99-ms", "1000000"];

#[tokio::test]
async fn http_mode_closed_loop() {
    let base = spawn_server().await;
    let mut args = vec!["--base-url", &base, "--users", "4", "--duration", "2s"];
    args.extend(["--ramp-up", "500ms"]);
    args.extend(LOOSE);
    let (ok, stderr, json) = drive("closed", &args).await;
    assert!(ok, "{stderr}");
    let j = json.unwrap();
    let overall = &j["overall"];
    assert!(overall["requests"].as_u64().unwrap() > 0, "{j}");
    assert_eq!(overall["errors"], 0, "{j}");
    let ratio = overall["cacheHitRatio"]
        .as_f64()
        .expect("hit ratio computed");
    assert!(ratio > 0.0 && ratio < 1.0, "{ratio}");
    // One row per distinct step of load-tests/mix.json's five scenarios.
    let endpoints = j["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 11, "{j}");
    let unknown = endpoints
        .iter()
        .find(|e| e["name"] == "GET /api/agents/{id} (unknown id)")
        .unwrap();
    assert!(unknown["requests"].as_u64().unwrap() > 0, "{j}");
    assert_eq!(
        unknown["errors"], 0,
        "a 404 the step expects is no error: {j}"
    );
    let health = endpoints
        .iter()
        .find(|e| e["name"] == "GET /health")
        .unwrap();
    assert!(
        health["cacheHitRatio"].is_null(),
        "/health sends no X-Cache"
    );
    assert_eq!(j["passed"], true);
    assert!(stderr.contains("RLIMIT_NOFILE"), "{stderr}");
}

#[tokio::test]
async fn http_mode_open_loop_with_several_accounts() {
    let base = spawn_server().await;
    let mut args = vec!["--base-url", &base, "--users", "4", "--duration", "1s"];
    args.extend([
        "--ramp-up",
        "0s",
        "--rate",
        "200",
        "--emails",
        "a@x.io,b@x.io",
    ]);
    args.extend(LOOSE);
    let (ok, stderr, json) = drive("open", &args).await;
    assert!(ok, "{stderr}");
    let j = json.unwrap();
    assert!(j["overall"]["requests"].as_u64().unwrap() > 0, "{j}");
    assert_eq!(j["overall"]["errors"], 0, "{j}");
}

#[tokio::test]
async fn a_failed_login_stops_the_run() {
    let base = spawn_server().await;
    let args = [
        "--base-url",
        &base,
        "--users",
        "2",
        "--duration",
        "1s",
        "--password",
        "nope",
    ];
    let (ok, stderr, json) = drive("badlogin", &args).await;
    assert!(!ok);
    assert!(
        stderr.contains("login as loadtest-1@example.com failed with HTTP 401"),
        "{stderr}"
    );
    assert!(json.is_none());
}

#[tokio::test]
async fn ws_mode_opens_and_holds_connections() {
    let base = spawn_server().await;
    let mut args = vec!["--mode", "ws", "--base-url", &base, "--connections", "20"];
    args.extend([
        "--connect-rate",
        "200/s",
        "--duration",
        "1s",
        "--source-ips",
        "2",
    ]);
    let (ok, stderr, json) = drive("ws", &args).await;
    assert!(ok, "{stderr}");
    let j = json.unwrap();
    assert_eq!(j["opened"], 20, "{j}");
    assert_eq!(j["openAtEnd"], 20, "{j}");
    assert_eq!(j["failedByReason"], serde_json::json!({}), "{j}");
    assert!(j["messagesReceived"].as_u64().unwrap() >= 20, "{j}");
    assert!(j["connectLatencyMs"]["p99"].as_f64().unwrap() > 0.0);
}
