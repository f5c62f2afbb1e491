//! Worker integration tests against real Postgres and Redis: each test has
//! its own database, Redis prefix, upload and outbox directories, and its
//! outbound HTTP goes to a server the test starts on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use jobs::Queues;
use storage::crypto::EncryptionKey;
use storage::models::{
    documents, email_outbox, knowledge_base, organizations, webhook_deliveries, webhooks,
};
use storage::test_support::{TestDatabase, TestRedis};
use storage::{Database, RedisPool};
use uuid::Uuid;
use worker::Config;

struct Env {
    db: TestDatabase,
    redis: TestRedis,
    key_hex: String,
    dir: tempfile::TempDir,
}

impl Env {
    async fn new() -> Self {
        Self {
            db: TestDatabase::new().await,
            redis: TestRedis::new(),
            key_hex: hex::encode(rand_key()),
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn database(&self) -> Database {
        self.db.database(4)
    }
    fn queues(&self) -> Queues {
        Queues::new(RedisPool::connect_lazy(&self.redis.config()).unwrap())
    }
    fn key(&self) -> EncryptionKey {
        EncryptionKey::from_hex(&self.key_hex).unwrap()
    }
    fn uploads(&self) -> std::path::PathBuf {
        self.dir.path().join("uploads")
    }
    fn outbox(&self) -> std::path::PathBuf {
        self.dir.path().join("outbox")
    }
    /// Worker flags with every delay shortened; `extra` overrides.
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "--database-url",
            self.db.url(),
            "--redis-url",
            &storage::test_support::redis_url(),
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
            "--backoff-base-ms",
            "100",
            "--heartbeat-secs",
            "1",
            "--missed-heartbeats",
            "2",
            "--lease-secs",
            "3",
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
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
    fn config(&self, extra: &[&str]) -> Config {
        let mut argv = vec!["echosenseix-worker".to_string()];
        argv.extend(self.args(extra));
        Config::try_parse_from(argv).unwrap()
    }
}

fn rand_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    for (i, b) in k.iter_mut().enumerate() {
        *b = (Uuid::new_v4().as_bytes()[i % 16]).wrapping_add(i as u8);
    }
    k
}

async fn org(db: &Database) -> Uuid {
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

async fn webhook(env: &Env, org: Uuid, url: &str, events: &[&str]) -> Uuid {
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

async fn delivery(db: &Database, org: Uuid, hook: Uuid) -> Uuid {
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

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
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
type Received = (HashMap<String, String>, Vec<u8>);

/// A local webhook receiver: answers with `statuses` in turn (then 200),
/// after `delay`, and records every request.
#[derive(Clone, Default)]
struct Receiver {
    requests: Arc<Mutex<Vec<Received>>>,
}

async fn receiver(statuses: Vec<u16>, delay: Duration) -> (SocketAddr, Receiver) {
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

async fn dead_count(env: &Env, queue: jobs::Queue) -> u64 {
    env.queues().queue_stats(queue).await.unwrap().dead
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_is_signed_and_retried_until_it_succeeds() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let (addr, rec) = receiver(vec![500, 503], Duration::ZERO).await;
    let hook = webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["call.completed"],
    )
    .await;
    let id = delivery(&db, org, hook).await;
    let mut running = worker::start(env.config(&[
        "--queues",
        "webhook-delivery",
        "--webhook-allow-private",
        "true",
    ]))
    .await
    .unwrap();
    env.queues().enqueue_webhook_delivery(id).await.unwrap();

    wait_for("the delivery to succeed", Duration::from_secs(10), || {
        let db = db.clone();
        async move {
            let mut c = db.get().await.unwrap();
            webhook_deliveries::find_by_id(&mut c, id)
                .await
                .unwrap()
                .unwrap()
                .status
                == "succeeded"
        }
    })
    .await;
    let mut c = db.get().await.unwrap();
    let row = webhook_deliveries::find_by_id(&mut c, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 3, "failed twice, then succeeded");
    assert_eq!(row.response_status, Some(200));
    let requests = rec.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3);
    for (headers, body) in &requests {
        let ts: i64 = headers["x-echosenseix-timestamp"].parse().unwrap();
        let expected = format!(
            "sha256={}",
            worker::handlers::webhook::sign(b"whsec_test", ts, body)
        );
        assert_eq!(headers["x-echosenseix-signature"], expected);
        assert_eq!(headers["x-echosenseix-delivery"], id.to_string());
    }
    assert_eq!(
        webhooks::find(&mut c, org, hook)
            .await
            .unwrap()
            .failure_count,
        0,
        "success resets the count"
    );
    let stats = env
        .queues()
        .queue_stats(jobs::Queue::WebhookDelivery)
        .await
        .unwrap();
    assert_eq!((stats.done, stats.dead, stats.pending), (1, 0, 0));
    running.shutdown();
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_to_a_private_address_is_refused_without_retry() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let (addr, rec) = receiver(vec![], Duration::ZERO).await;
    let hook = webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["call.completed"],
    )
    .await;
    let by_name = webhook(
        &env,
        org,
        &format!("http://localhost:{}/hook", addr.port()),
        &["call.completed"],
    )
    .await;
    let ids = [
        delivery(&db, org, hook).await,
        delivery(&db, org, by_name).await,
    ];
    let running = worker::start(env.config(&["--queues", "webhook-delivery"]))
        .await
        .unwrap();
    env.queues().enqueue_webhook_deliveries(&ids).await;
    wait_for(
        "both deliveries to be dead",
        Duration::from_secs(10),
        || {
            let db = db.clone();
            async move {
                let mut c = db.get().await.unwrap();
                let mut dead = 0;
                for id in ids {
                    dead += (webhook_deliveries::find_by_id(&mut c, id)
                        .await
                        .unwrap()
                        .unwrap()
                        .status
                        == "dead") as usize;
                }
                dead == 2
            }
        },
    )
    .await;
    let mut c = db.get().await.unwrap();
    for id in ids {
        let row = webhook_deliveries::find_by_id(&mut c, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.attempts, 1, "refusals are not retried");
        assert!(row.last_error.unwrap().contains("refused"));
    }
    assert!(
        rec.requests.lock().unwrap().is_empty(),
        "nothing reached the private server"
    );
    wait_for("dead jobs in redis", Duration::from_secs(3), || async {
        dead_count(&env, jobs::Queue::WebhookDelivery).await == 2
    })
    .await;
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn email_is_written_as_eml_without_smtp() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let mut c = db.get().await.unwrap();
    let mail = email_outbox::insert(
        &mut c,
        &email_outbox::NewOutboxEmail {
            organization_id: Some(org),
            to_address: "ada@example.com".into(),
            template: "invitation".into(),
            data: serde_json::json!({"organizationName": "Acme", "inviterName": "Grace", "link": "https://app.test/invite/abc"}),
        },
    )
    .await
    .unwrap();
    let running = worker::start(env.config(&["--queues", "email"]))
        .await
        .unwrap();
    env.queues().enqueue_email(mail.id).await.unwrap();
    let path = env.outbox().join(format!("{}.eml", mail.id));
    wait_for("the .eml file", Duration::from_secs(5), || {
        let path = path.clone();
        async move { path.exists() }
    })
    .await;
    let eml = std::fs::read_to_string(&path).unwrap();
    assert!(eml.contains("To: ada@example.com"), "{eml}");
    assert!(eml.contains("Subject: You are invited to Acme"), "{eml}");
    assert!(eml.contains("https://app.test/invite/abc"), "{eml}");
    wait_for("the row to say sent", Duration::from_secs(3), || {
        let db = db.clone();
        async move {
            email_outbox::find_by_id(&mut db.get().await.unwrap(), mail.id)
                .await
                .unwrap()
                .unwrap()
                .status
                == "sent"
        }
    })
    .await;
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn email_that_always_fails_ends_dead_and_can_be_retried() {
    let env = Env::new().await;
    let db = env.database();
    let mut c = db.get().await.unwrap();
    let mail = email_outbox::insert(
        &mut c,
        &email_outbox::NewOutboxEmail {
            organization_id: None,
            to_address: "ada@example.com".into(),
            template: "welcome".into(),
            data: serde_json::json!({"name": "Ada"}),
        },
    )
    .await
    .unwrap();
    // Nothing listens on port 1: every attempt fails to connect.
    let running = worker::start(env.config(&[
        "--queues",
        "email",
        "--smtp-url",
        "smtp://127.0.0.1:1",
        "--max-attempts",
        "email=3",
    ]))
    .await
    .unwrap();
    let queues = env.queues();
    queues.enqueue_email(mail.id).await.unwrap();
    wait_for("the job to be dead", Duration::from_secs(10), || async {
        dead_count(&env, jobs::Queue::Email).await == 1
    })
    .await;
    let row = email_outbox::find_by_id(&mut c, mail.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "failed");
    assert_eq!(row.attempts, 3);
    assert!(row.last_error.unwrap().contains("gave up after 3 attempts"));

    // The operator retries it by row id: a fresh budget, then dead again.
    let retried = queues
        .retry(&mut c, jobs::Queue::Email, &mail.id.to_string())
        .await
        .unwrap();
    assert_eq!(retried.row_id, Some(mail.id));
    wait_for(
        "the retry to end dead too",
        Duration::from_secs(10),
        || async { dead_count(&env, jobs::Queue::Email).await == 2 },
    )
    .await;
    // And by dead job id.
    let dead: Vec<String> = {
        let mut r = redis::Client::open(storage::test_support::redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        redis::cmd("SMEMBERS")
            .arg(queues.keys(jobs::Queue::Email).dead())
            .query_async(&mut r)
            .await
            .unwrap()
    };
    wait_for("the row to be failed again", Duration::from_secs(3), || {
        let db = db.clone();
        async move {
            email_outbox::find_by_id(&mut db.get().await.unwrap(), mail.id)
                .await
                .unwrap()
                .unwrap()
                .status
                == "failed"
        }
    })
    .await;
    queues
        .retry(&mut c, jobs::Queue::Email, &dead[0])
        .await
        .unwrap();
    assert_eq!(dead_count(&env, jobs::Queue::Email).await, 1);
    running.join().await.unwrap();
}

async fn upload(env: &Env, db: &Database, org: Uuid, name: &str, body: &[u8]) -> Uuid {
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

fn text_of(paragraphs: usize) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn document_becomes_chunks_and_a_corrupt_one_fails_cleanly() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let (addr, rec) = receiver(vec![], Duration::ZERO).await;
    webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["document.processed", "document.failed"],
    )
    .await;
    let good = upload(&env, &db, org, "faq.txt", text_of(12).as_bytes()).await;
    let empty = upload(&env, &db, org, "empty.txt", b"   \n").await;
    let running = worker::start(env.config(&[
        "--queues",
        "document-processing,webhook-delivery",
        "--webhook-allow-private",
        "true",
    ]))
    .await
    .unwrap();
    env.queues().enqueue_document(good).await.unwrap();
    env.queues().enqueue_document(empty).await.unwrap();
    wait_for(
        "both documents finished and both events delivered",
        Duration::from_secs(10),
        || {
            let rec = rec.clone();
            async move { rec.requests.lock().unwrap().len() == 2 }
        },
    )
    .await;
    let mut c = db.get().await.unwrap();
    let doc = documents::find(&mut c, org, good).await.unwrap();
    assert_eq!((doc.status.as_str(), doc.progress), ("completed", 100));
    assert!(doc.chunk_count > 1);
    assert_eq!(
        knowledge_base::count(&mut c, org).await.unwrap(),
        doc.chunk_count as i64
    );
    let bad = documents::find(&mut c, org, empty).await.unwrap();
    assert_eq!(bad.status, "failed");
    assert_eq!(bad.attempts, 1, "permanent errors are not retried");
    assert!(bad.error_message.unwrap().contains("empty"));
    let events: Vec<String> = rec
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<serde_json::Value>(body).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        events.contains(&"document.processed".to_owned())
            && events.contains(&"document.failed".to_owned())
    );
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sweeper_enqueues_rows_whose_enqueue_was_lost() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let doc = upload(&env, &db, org, "lost.txt", text_of(2).as_bytes()).await;
    // Never enqueued (as if Redis was down when the API tried).
    let running = worker::start(env.config(&["--queues", "document-processing,sweeper"]))
        .await
        .unwrap();
    wait_for(
        "the sweeper to pick the row up",
        Duration::from_secs(10),
        || {
            let db = db.clone();
            async move {
                documents::find(&mut db.get().await.unwrap(), org, doc)
                    .await
                    .unwrap()
                    .status
                    == "completed"
            }
        },
    )
    .await;
    running.join().await.unwrap();
}

fn spawn_binary(env: &Env, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_echosenseix-worker"))
        .args(env.args(extra))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

async fn kb_rows(db: &Database, org: Uuid) -> Vec<(Option<Uuid>, Option<i32>)> {
    let mut c = db.get().await.unwrap();
    let page = knowledge_base::list(
        &mut c,
        org,
        storage::pagination::PageRequest::new(1, 100).unwrap(),
    )
    .await
    .unwrap();
    page.data
        .into_iter()
        .map(|e| (e.document_id, e.chunk_index))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_worker_jobs_are_finished_by_another_without_duplicates() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let (addr, rec) = receiver(vec![], Duration::from_millis(400)).await;
    let hook = webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["call.completed"],
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(delivery(&db, org, hook).await);
    }
    let mut docs = Vec::new();
    for i in 0..6 {
        docs.push(
            upload(
                &env,
                &db,
                org,
                &format!("doc{i}.txt"),
                text_of(6).as_bytes(),
            )
            .await,
        );
    }
    let flags = [
        "--queues",
        "webhook-delivery,document-processing,sweeper",
        "--webhook-allow-private",
        "true",
        "--concurrency",
        "webhook-delivery=4,document-processing=1",
    ];
    let mut first = spawn_binary(&env, &flags);
    let queues = env.queues();
    queues.enqueue_webhook_deliveries(&ids).await;
    for d in &docs {
        queues.enqueue_document(*d).await.unwrap();
    }
    wait_for("requests in flight", Duration::from_secs(10), || {
        let rec = rec.clone();
        async move { rec.requests.lock().unwrap().len() >= 4 }
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let mut second = spawn_binary(&env, &flags);
    wait_for(
        "every delivery and document to finish",
        Duration::from_secs(30),
        || {
            let db = db.clone();
            let (ids, docs) = (ids.clone(), docs.clone());
            async move {
                let mut c = db.get().await.unwrap();
                for id in ids {
                    if webhook_deliveries::find_by_id(&mut c, id)
                        .await
                        .unwrap()
                        .unwrap()
                        .status
                        != "succeeded"
                    {
                        return false;
                    }
                }
                for d in docs {
                    if documents::find(&mut c, org, d).await.unwrap().status != "completed" {
                        return false;
                    }
                }
                true
            }
        },
    )
    .await;
    let rows = kb_rows(&db, org).await;
    let mut unique = rows.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        rows.len(),
        unique.len(),
        "no knowledge-base chunk is duplicated"
    );
    let mut c = db.get().await.unwrap();
    let expected: i32 = {
        let mut n = 0;
        for d in &docs {
            n += documents::find(&mut c, org, *d).await.unwrap().chunk_count;
        }
        n
    };
    assert_eq!(rows.len() as i32, expected);
    let received: std::collections::HashSet<String> = rec
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["x-echosenseix-delivery"].clone())
        .collect();
    assert_eq!(
        received.len(),
        ids.len(),
        "every delivery reached the endpoint"
    );
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_the_running_job_and_exits_zero() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let (addr, rec) = receiver(vec![], Duration::from_millis(1500)).await;
    let hook = webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["call.completed"],
    )
    .await;
    let id = delivery(&db, org, hook).await;
    let mut child = spawn_binary(
        &env,
        &[
            "--queues",
            "webhook-delivery",
            "--webhook-allow-private",
            "true",
        ],
    );
    env.queues().enqueue_webhook_delivery(id).await.unwrap();
    wait_for(
        "the request to be in flight",
        Duration::from_secs(10),
        || {
            let rec = rec.clone();
            async move { !rec.requests.lock().unwrap().is_empty() }
        },
    )
    .await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0));
    let mut c = db.get().await.unwrap();
    let row = webhook_deliveries::find_by_id(&mut c, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.status, "succeeded",
        "the in-flight delivery finished before exit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_and_metrics_are_served() {
    let env = Env::new().await;
    let running = worker::start(env.config(&["--queues", "email"]))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://{}/health", running.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    let metrics = client
        .get(format!("http://{}/metrics", running.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("db_pool_connections")
    );
    running.join().await.unwrap();
}

#[allow(dead_code)]
fn _unused(_: &Path) {}
