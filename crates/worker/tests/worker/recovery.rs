//! Faults with every timing at its default (lease, heartbeat, sweep): a
//! worker SIGKILLed mid-batch, Redis losing its data, 20,000 retries due at
//! once, a row that used up its attempts. Bounds on waiting here are
//! liveness limits, not speed claims; the times are printed and measured
//! in `make bench`.

use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use storage::models::{documents, email_outbox, webhook_deliveries};
use uuid::Uuid;

use crate::support::*;

#[derive(diesel::QueryableByName)]
struct ChunkCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[allow(dead_code)]
    n: i64,
}

async fn statuses(db: &storage::Database, org: Uuid, docs: &[Uuid]) -> Vec<String> {
    let mut c = db.get().await.unwrap();
    let mut out = Vec::new();
    for d in docs {
        out.push(documents::find(&mut c, org, *d).await.unwrap().status);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkilled_worker_documents_are_finished_by_a_fresh_one_with_default_settings() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let mut docs = Vec::new();
    for i in 0..20 {
        // Big enough that the batch is still in flight when the kill lands.
        let body = text_of(3_000);
        docs.push(upload(&env, &db, org, &format!("doc{i}.txt"), body.as_bytes()).await);
    }
    let flags = [
        "--queues",
        "document-processing,sweeper",
        "--concurrency",
        "document-processing=20",
    ];
    let mut first = spawn_default(&env, &flags);
    let queues = env.queues();
    for d in &docs {
        queues.enqueue_document(*d).await.unwrap();
    }
    wait_for("documents in flight", Duration::from_secs(60), || {
        let db = db.clone();
        let docs = docs.clone();
        async move {
            statuses(&db, org, &docs)
                .await
                .iter()
                .filter(|s| *s == "processing")
                .count()
                >= 10
        }
    })
    .await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let killed = Instant::now();
    let in_flight = statuses(&db, org, &docs)
        .await
        .iter()
        .filter(|s| *s != "completed")
        .count();
    let mut second = spawn_default(&env, &flags);
    wait_for(
        "every document to complete after the kill",
        Duration::from_secs(180),
        || {
            let db = db.clone();
            let docs = docs.clone();
            async move {
                statuses(&db, org, &docs)
                    .await
                    .iter()
                    .all(|s| s == "completed")
            }
        },
    )
    .await;
    println!(
        "recovery_after_sigkill_s={:.1} (documents unfinished at the kill: {in_flight})",
        killed.elapsed().as_secs_f64()
    );
    let mut c = db.get().await.unwrap();
    let duplicated: Vec<ChunkCount> = diesel::sql_query(
        "SELECT count(*) AS n FROM knowledge_base_entries WHERE organization_id = $1 \
         GROUP BY document_id, chunk_index HAVING count(*) > 1",
    )
    .bind::<diesel::sql_types::Uuid, _>(org)
    .load(&mut c)
    .await
    .unwrap();
    assert!(
        duplicated.is_empty(),
        "no knowledge-base chunk is duplicated"
    );
    let mut expected = 0i64;
    for d in &docs {
        expected += i64::from(documents::find(&mut c, org, *d).await.unwrap().chunk_count);
    }
    assert_eq!(
        storage::models::knowledge_base::count(&mut c, org)
            .await
            .unwrap(),
        expected
    );
    second.kill().unwrap();
    second.wait().unwrap();
}

/// Deletes every key of this test's prefix: what this deployment sees when
/// its Redis restarts without persistence (the Redis server is shared with
/// other tests, so FLUSHALL is not an option).
async fn lose_redis_data(prefix: &str) {
    let mut r = redis::Client::open(kv::test_support::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut r)
        .await
        .unwrap();
    if !keys.is_empty() {
        let () = redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut r)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_losing_its_data_mid_batch_loses_no_document_mail_or_delivery() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let (addr, rec) = receiver(vec![], Duration::from_millis(200)).await;
    let hook = webhook(
        &env,
        org,
        &format!("http://{addr}/hook"),
        &["call.completed"],
    )
    .await;
    let mut deliveries = Vec::new();
    let mut mails = Vec::new();
    let mut docs = Vec::new();
    let mut c = db.get().await.unwrap();
    for i in 0..10 {
        deliveries.push(delivery(&db, org, hook).await);
        let mail = email_outbox::insert(
            &mut c,
            &email_outbox::NewOutboxEmail {
                organization_id: Some(org),
                to_address: format!("user{i}@example.com"),
                template: "welcome".into(),
                data: serde_json::json!({"name": "Ada"}),
            },
        )
        .await
        .unwrap();
        mails.push(mail.id);
        docs.push(
            upload(
                &env,
                &db,
                org,
                &format!("d{i}.txt"),
                text_of(400).as_bytes(),
            )
            .await,
        );
    }
    let running = worker::start(env.default_config(&[
        "--webhook-allow-private",
        "true",
        "--concurrency",
        "webhook-delivery=2,document-processing=1,email=1",
    ]))
    .await
    .unwrap();
    let queues = env.queues();
    queues.enqueue_webhook_deliveries(&deliveries).await;
    for m in &mails {
        queues.enqueue_email(*m).await.unwrap();
    }
    for d in &docs {
        queues.enqueue_document(*d).await.unwrap();
    }
    wait_for("the first deliveries", Duration::from_secs(30), || {
        let rec = rec.clone();
        async move { rec.requests.lock().unwrap().len() >= 2 }
    })
    .await;
    lose_redis_data(env.redis_prefix()).await;
    let lost = Instant::now();
    wait_for(
        "every row done after Redis lost its data",
        Duration::from_secs(300),
        || {
            let db = db.clone();
            let (deliveries, mails, docs) = (deliveries.clone(), mails.clone(), docs.clone());
            async move {
                let mut c = db.get().await.unwrap();
                for id in &deliveries {
                    let row = webhook_deliveries::find_by_id(&mut c, *id)
                        .await
                        .unwrap()
                        .unwrap();
                    if row.status != "succeeded" {
                        return false;
                    }
                }
                for id in &mails {
                    let row = email_outbox::find_by_id(&mut c, *id)
                        .await
                        .unwrap()
                        .unwrap();
                    if row.status != "sent" {
                        return false;
                    }
                }
                statuses(&db, org, &docs)
                    .await
                    .iter()
                    .all(|s| s == "completed")
            }
        },
    )
    .await;
    println!(
        "all rows done {:.1} s after Redis lost its data",
        lost.elapsed().as_secs_f64()
    );
    // The worker kept running through it: no restart, health still answers.
    let health = reqwest::get(format!("http://{}/health", running.addr))
        .await
        .unwrap();
    assert!(health.status().is_success());
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_thousand_retries_due_at_once_drain() {
    let env = Env::new().await;
    let queues = env.queues();
    // Mails whose rows do not exist: each run finds nothing to claim and ends.
    let jobs: Vec<jobs::EmailJob> = (0..20_000)
        .map(|_| jobs::EmailJob {
            email_id: Uuid::new_v4(),
        })
        .collect();
    for chunk in jobs.chunks(1_000) {
        queues
            .push(chunk, Some(Duration::from_secs(1)))
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // all 20,000 due now
    let running = worker::start(env.default_config(&["--queues", "email"]))
        .await
        .unwrap();
    wait_for("20,000 due jobs to drain", Duration::from_secs(120), || {
        let queues = queues.clone();
        async move {
            // A stats read may time out while Redis is busy draining: ask again.
            let stats = queues.queue_stats(jobs::Queue::Email).await;
            stats.is_ok_and(|s| s.done == 20_000)
        }
    })
    .await;
    let stats = queues.queue_stats(jobs::Queue::Email).await.unwrap();
    assert_eq!((stats.pending, stats.failed, stats.dead), (0, 0, 0));
    running.join().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_row_that_used_up_its_attempts_fails_while_others_go_on() {
    let env = Env::new().await;
    let db = env.database();
    let org = org(&db).await;
    let poison = upload(&env, &db, org, "poison.txt", text_of(5).as_bytes()).await;
    let fine = upload(&env, &db, org, "fine.txt", text_of(5).as_bytes()).await;
    // As five workers left it: each claimed it (one attempt each) and died
    // before finishing, the last lease long expired.
    let mut c = db.get().await.unwrap();
    diesel::sql_query(
        "UPDATE documents SET status = 'processing', attempts = 5, \
         lease_until = now() - interval '1 minute' WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(poison)
    .execute(&mut c)
    .await
    .unwrap();
    let running = worker::start(env.default_config(&["--queues", "document-processing"]))
        .await
        .unwrap();
    let queues = env.queues();
    queues.enqueue_document(poison).await.unwrap();
    queues.enqueue_document(fine).await.unwrap();
    wait_for("both documents to finish", Duration::from_secs(60), || {
        let db = db.clone();
        async move { statuses(&db, org, &[poison, fine]).await == ["failed", "completed"] }
    })
    .await;
    let row = documents::find(&mut c, org, poison).await.unwrap();
    let error = row.error_message.unwrap();
    assert!(error.starts_with("attempts_exhausted"), "{error}");
    assert_eq!(
        queues
            .queue_stats(jobs::Queue::DocumentProcessing)
            .await
            .unwrap()
            .dead,
        1
    );
    running.join().await.unwrap();
}
