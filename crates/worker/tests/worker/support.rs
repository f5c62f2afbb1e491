//! What every worker test shares: a private database, Redis prefix and
//! directories per test (`Env`), rows to work on, a local webhook receiver.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use crypto::EncryptionKey;
use http_body_util::{BodyExt, Full};
use jobs::Queues;
use kv::RedisPool;
use kv::test_support::TestRedis;
use storage::Database;
use storage::models::{documents, organizations, webhook_deliveries, webhooks};
use storage::test_support::TestDatabase;
use uuid::Uuid;
use worker::Config;

pub(crate) struct Env {
    db: TestDatabase,
    redis: TestRedis,
    key_hex: String,
    dir: tempfile::TempDir,
}

impl Env {
    pub(crate) async fn new() -> Self {
        Self {
            db: TestDatabase::new().await,
            redis: TestRedis::new(),
            key_hex: hex::encode(rand_key()),
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub(crate) fn redis_prefix(&self) -> &str {
        self.redis.prefix()
    }
    pub(crate) fn database(&self) -> Database {
        self.db.database(4)
    }
    pub(crate) fn queues(&self) -> Queues {
        Queues::new(RedisPool::connect_lazy(&self.redis.config()).unwrap())
    }
    pub(crate) fn key(&self) -> EncryptionKey {
        EncryptionKey::from_hex(&self.key_hex).unwrap()
    }
    pub(crate) fn uploads(&self) -> std::path::PathBuf {
        self.dir.path().join("uploads")
    }
    pub(crate) fn outbox(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
    }
    /// Flags naming this test's database, Redis prefix, key, port and
    /// directories, and nothing else: every timing at its default.
    pub(crate) fn default_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "--database-url",
            self.db.url(),
            "--redis-url",
            &kv::test_support::redis_url(),
            "--redis-prefix",
            self.redis.prefix(),
            "--encryption-key",
            &self.key_hex,
            "--port",
            "0",
            "--host",
            "127.0.0.1",
            "--email-outbox-dir",
            self.outbox().to_str().unwrap(),
            "--storage-dir",
            self.uploads().to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
    /// `default_args` with retries and the sweeper shortened, for tests of
    /// what a job does rather than when.
    pub(crate) fn args(&self, extra: &[&str]) -> Vec<String> {
        let shortened = [
            "--backoff-base-ms",
            "100",
            "--poll-interval-ms",
            "200",
            "--shutdown-grace-secs",
            "10",
            "--sweep-interval-secs",
            "1",
            "--sweep-queued-after-secs",
            "2",
            "--database-max-connections",
            "8",
            "--database-min-idle",
            "1",
        ];
        let flags: Vec<&str> = shortened.iter().chain(extra).copied().collect();
        self.default_args(&flags)
    }
    pub(crate) fn default_config(&self, extra: &[&str]) -> Config {
        let mut argv = vec!["echosenseix-worker".to_string()];
        argv.extend(self.default_args(extra));
        Config::try_parse_from(argv).unwrap()
    }
    pub(crate) fn config(&self, extra: &[&str]) -> Config {
        let mut argv = vec!["echosenseix-worker".to_string()];
        argv.extend(self.args(extra));
        Config::try_parse_from(argv).unwrap()
    }
}

pub(crate) fn rand_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = (Uuid::new_v4().as_bytes()[i % 16]).wrapping_add(i as u8);
    }
    k
}

pub(crate) async fn org(db: &Database) -> Uuid {
    let mut conn = db.get().await.unwrap();
    organizations::insert(
        &mut conn,
        &organizations::NewOrganization {
            name: "Acme".into(),
            subdomain: None,
            plan: "pro".into(),
            max_agents: 10,
            max_users: 10,
        },
    )
    .await
    .unwrap()
    .id
}

pub(crate) async fn webhook(env: &Env, org: Uuid, url: &str, events: &[&str]) -> Uuid {
    let mut conn = env.database().get().await.unwrap();
    webhooks::insert(
        &mut conn,
        &webhooks::NewWebhook {
            organization_id: org,
            url: url.into(),
            encrypted_secret: env.key().encrypt(b"whsec_test"),
            events: events.iter().map(|s| s.to_string()).collect(),
            created_by: None,
        },
    )
    .await
    .unwrap()
    .id
}

pub(crate) async fn delivery(db: &Database, org: Uuid, hook: Uuid) -> Uuid {
    let mut conn = db.get().await.unwrap();
    webhook_deliveries::insert_batch(
        &mut conn,
        &[webhook_deliveries::NewWebhookDelivery {
            organization_id: org,
            webhook_id: hook,
            event: "call.completed".into(),
            payload: serde_json::json!({"event": "call.completed", "data": {"n": 1}}),
        }],
    )
    .await
    .unwrap()[0]
        .id
}

pub(crate) async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// One request a receiver saw: its headers and body.
pub(crate) type Received = (HashMap<String, String>, Vec<u8>);

/// A local webhook receiver: answers with `statuses` in turn (then 200),
/// after `delay`, and records every request.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) requests: Arc<Mutex<Vec<Received>>>,
}

pub(crate) async fn receiver(statuses: Vec<u16>, delay: Duration) -> (SocketAddr, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let rec = Receiver::default();
    let (rec2, statuses) = (rec.clone(), Arc::new(Mutex::new(statuses.into_iter())));
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let (rec, statuses) = (rec2.clone(), statuses.clone());
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let (rec, statuses) = (rec.clone(), statuses.clone());
                        async move {
                            let headers = req
                                .headers()
                                .iter()
                                .map(|(k, v)| {
                                    (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())
                                })
                                .collect();
                            let body = req.into_body().collect().await.unwrap().to_bytes().to_vec();
                            rec.requests.lock().unwrap().push((headers, body));
                            tokio::time::sleep(delay).await;
                            let status = statuses.lock().unwrap().next().unwrap_or(200);
                            let mut resp =
                                hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, rec)
}

pub(crate) async fn dead_count(env: &Env, queue: jobs::Queue) -> u64 {
    env.queues().queue_stats(queue).await.unwrap().dead
}

pub(crate) async fn upload(env: &Env, db: &Database, org: Uuid, name: &str, body: &[u8]) -> Uuid {
    let key = format!("{org}/{}", Uuid::new_v4());
    let path = env.uploads().join(&key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, body).unwrap();
    let mut c = db.get().await.unwrap();
    documents::insert(
        &mut c,
        &documents::NewDocument {
            id: Uuid::now_v7(),
            organization_id: org,
            uploaded_by: None,
            original_name: name.into(),
            content_type: "text/plain".into(),
            size_bytes: body.len() as i64,
            storage_key: key,
        },
    )
    .await
    .unwrap()
    .id
}

pub(crate) fn text_of(paragraphs: usize) -> String {
    (0..paragraphs)
        .map(|i| {
            format!(
                "Paragraph {i}: {}",
                "the agent greets callers politely. ".repeat(30)
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

pub(crate) fn spawn_binary(env: &Env, extra: &[&str]) -> std::process::Child {
    spawn_with(env.args(extra))
}

/// The worker binary with every timing at its default.
pub(crate) fn spawn_default(env: &Env, extra: &[&str]) -> std::process::Child {
    spawn_with(env.default_args(extra))
}

fn spawn_with(args: Vec<String>) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_echosenseix-worker"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}
