//! One job of each queue end to end, retries, the dead set and operator
//! retries, a SIGKILLed and a SIGTERMed worker, health and metrics.

use std::time::Duration;

use storage::models::{documents, email_outbox, knowledge_base, webhook_deliveries, webhooks};

use crate::support::*;

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
    // The Message-ID derives from the outbox row: a resend is the same message.
    assert!(
        eml.contains(&format!("Message-ID: <{}@echosenseix.local>", mail.id)),
        "{eml}"
    );
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
    // One job per row: the same job id runs again and ends dead again.
    assert_eq!(retried.job_id, jobs::payload::job_id_of_row(mail.id));
    wait_for("the retry to end dead too", Duration::from_secs(10), || {
        let db = db.clone();
        let env = &env;
        async move {
            let row = email_outbox::find_by_id(&mut db.get().await.unwrap(), mail.id)
                .await
                .unwrap()
                .unwrap();
            row.status == "failed"
                && row.attempts == 3
                && dead_count(env, jobs::Queue::Email).await == 1
        }
    })
    .await;
    // And by dead job id.
    let dead: Vec<String> = {
        let mut r = redis::Client::open(kv::test_support::redis_url())
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
    wait_for(
        "the revived job to end dead again",
        Duration::from_secs(10),
        || {
            let db = db.clone();
            let env = &env;
            async move {
                let row = email_outbox::find_by_id(&mut db.get().await.unwrap(), mail.id)
                    .await
                    .unwrap()
                    .unwrap();
                row.status == "failed" && dead_count(env, jobs::Queue::Email).await == 1
            }
        },
    )
    .await;
    running.join().await.unwrap();
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
            .contains("db_pool_connections{state=\"active\"}")
    );
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_disabled_endpoint_holds_its_deliveries_until_enabled_again() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    // Down for the first four requests, then up.
    let (addr, rec) = receiver(vec![503, 503, 503, 503], Duration::ZERO).await;
    let hook = webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["call.completed"],
    )
    .await;
    let ids = vec![
        delivery(&db, org, hook).await,
        delivery(&db, org, hook).await,
    ];
    let running = worker::start(env.config(&[
        "--queues",
        "webhook-delivery",
        "--webhook-allow-private",
        "true",
        "--webhook-disable-after",
        "4",
    ]))
    .await
    .unwrap();
    let queues = env.queues();
    queues.enqueue_webhook_deliveries(&ids).await;
    let held = |db: storage::Database, ids: Vec<uuid::Uuid>| async move {
        let mut c = db.get().await.unwrap();
        let mut statuses = Vec::new();
        for id in ids {
            statuses.push(
                webhook_deliveries::find_by_id(&mut c, id)
                    .await
                    .unwrap()
                    .unwrap()
                    .status,
            );
        }
        statuses
    };
    wait_for("both deliveries held", Duration::from_secs(30), || {
        let (db, ids) = (db.clone(), ids.clone());
        async move { held(db, ids).await.iter().all(|s| s == "held") }
    })
    .await;
    let mut c = db.get().await.unwrap();
    assert!(!webhooks::find(&mut c, org, hook).await.unwrap().is_active);
    // What PATCH /api/webhooks/{id} {"isActive": true} does.
    webhooks::set_active(&mut c, org, hook, true)
        .await
        .unwrap()
        .unwrap();
    let resumed = webhook_deliveries::resume_held(&mut c, org, hook)
        .await
        .unwrap();
    assert_eq!(resumed.len(), 2);
    queues.enqueue_webhook_deliveries(&resumed).await;
    wait_for("both deliveries delivered", Duration::from_secs(30), || {
        let (db, ids) = (db.clone(), ids.clone());
        async move { held(db, ids).await.iter().all(|s| s == "succeeded") }
    })
    .await;
    assert!(rec.requests.lock().unwrap().len() >= 6);
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_says_redis_is_down_when_the_worker_starts_without_it() {
    let env = Env::new().await;
    let mut config = env.config(&[]);
    // Nothing listens on port 1.
    config.redis.url = secrecy::SecretString::from("redis://127.0.0.1:1".to_owned());
    let running = worker::start(config).await.unwrap();
    let response = reqwest::get(format!("http://{}/health", running.addr))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["connections"]["redis"], false);
    assert_eq!(body["connections"]["database"], true);
    // Not joined: the worker keeps waiting for Redis until the test ends.
    drop(running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_document_past_the_knowledge_base_quota_fails_with_quota_exceeded() {
    use diesel_async::RunQueryDsl;
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let mut c = db.get().await.unwrap();
    diesel::sql_query("UPDATE organizations SET max_knowledge_base_bytes = 1000 WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(org)
        .execute(&mut c)
        .await
        .unwrap();
    let big = upload(&env, &db, org, "big.txt", text_of(20).as_bytes()).await;
    let running = worker::start(env.config(&["--queues", "document-processing"]))
        .await
        .unwrap();
    env.queues().enqueue_document(big).await.unwrap();
    wait_for("the document to fail", Duration::from_secs(30), || {
        let db = db.clone();
        async move {
            let mut c = db.get().await.unwrap();
            documents::find(&mut c, org, big).await.unwrap().status == "failed"
        }
    })
    .await;
    let row = documents::find(&mut c, org, big).await.unwrap();
    assert!(row.error_message.unwrap().starts_with("quota_exceeded"));
    assert_eq!(knowledge_base::count(&mut c, org).await.unwrap(), 0);
    running.join().await.unwrap();
}
