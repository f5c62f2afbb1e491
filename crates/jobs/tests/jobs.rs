//! Enqueue helpers, statistics and the webhook fan-out against real Redis
//! and Postgres (own database and key prefix per test).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use jobs::{DocumentJob, Queue, Queues, publish_event};
use kv::RedisPool;
use kv::test_support::TestRedis;
use settings::RedisConfig;
use storage::models::{organizations, webhooks};
use storage::test_support::TestDatabase;
use uuid::Uuid;

#[tokio::test]
async fn enqueue_with_redis_down_fails_softly_and_is_counted() {
    // Nothing listens on port 1; the handle is still built.
    let queues = Queues::new(
        RedisPool::connect_lazy(&RedisConfig::new("redis://127.0.0.1:1", "down")).unwrap(),
    );
    assert_eq!(queues.enqueue_document(Uuid::new_v4()).await, None);
    assert!(
        queues
            .enqueue_webhook_deliveries(&[Uuid::new_v4(), Uuid::new_v4()])
            .await
            .is_empty()
    );
    assert_eq!(queues.enqueue_failures(), 3);
    assert!(queues.stats().await.is_err());
}

#[tokio::test]
async fn pushed_jobs_show_as_pending_under_their_own_prefix_only() {
    let (a, b) = (TestRedis::new(), TestRedis::new());
    let qa = Queues::new(RedisPool::connect_lazy(&a.config()).unwrap());
    let qb = Queues::new(RedisPool::connect_lazy(&b.config()).unwrap());
    let id = qa.enqueue_document(Uuid::new_v4()).await.unwrap();
    qa.push(
        &[DocumentJob {
            document_id: Uuid::new_v4(),
        }],
        Some(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let stats = qa.queue_stats(Queue::DocumentProcessing).await.unwrap();
    assert_eq!(
        (
            stats.pending,
            stats.scheduled,
            stats.failed,
            stats.running,
            stats.done,
            stats.dead
        ),
        (1, 1, 0, 0, 0, 0),
        "the delayed job is scheduled, not a failed retry"
    );
    assert!(stats.oldest_waiting_secs.is_some() && !stats.paused);
    assert_eq!(
        qb.queue_stats(Queue::DocumentProcessing)
            .await
            .unwrap()
            .pending,
        0
    );
    assert_eq!(qa.stats().await.unwrap().len(), 5);

    // The stored payload carries only the row id.
    let mut conn = redis::Client::open(kv::test_support::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let payload: Vec<u8> = redis::cmd("HGET")
        .arg(qa.keys(Queue::DocumentProcessing).data())
        .arg(&id)
        .query_async(&mut conn)
        .await
        .unwrap();
    let job: DocumentJob = serde_json::from_slice(&payload).unwrap();
    assert_ne!(job.document_id, Uuid::nil());
    assert!(String::from_utf8(payload).unwrap().contains("documentId"));
}

#[tokio::test]
async fn publish_event_fans_out_to_active_subscribers_only() {
    let db = TestDatabase::new().await;
    let database = db.database(2);
    let mut conn = database.get().await.unwrap();
    let org = organizations::insert(
        &mut conn,
        &organizations::NewOrganization {
            name: "Acme".into(),
            subdomain: None,
            plan: "pro".into(),
            max_agents: 1,
            max_users: 1,
        },
    )
    .await
    .unwrap()
    .id;
    let hook = |events: &[&str]| webhooks::NewWebhook {
        organization_id: org,
        url: "https://example.com/hook".into(),
        encrypted_secret: vec![1, 2, 3],
        events: events.iter().map(|e| e.to_string()).collect(),
        created_by: None,
    };
    let subscribed = webhooks::insert(&mut conn, &hook(&["document.processed", "call.completed"]))
        .await
        .unwrap();
    webhooks::insert(&mut conn, &hook(&["call.completed"]))
        .await
        .unwrap();
    let disabled = webhooks::insert(&mut conn, &hook(&["document.processed"]))
        .await
        .unwrap();
    webhooks::record_failure(&mut conn, disabled.id, 1)
        .await
        .unwrap();

    let ids = publish_event(
        &mut conn,
        org,
        "document.processed",
        serde_json::json!({"documentId": "d1"}),
    )
    .await
    .unwrap();
    assert_eq!(ids.len(), 1);
    let row = storage::models::webhook_deliveries::find_by_id(&mut conn, ids[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.webhook_id, subscribed.id);
    assert_eq!(row.status, "pending");
    assert_eq!(row.payload["event"], "document.processed");
    assert_eq!(row.payload["organizationId"], org.to_string());
    assert_eq!(row.payload["data"]["documentId"], "d1");
    assert!(
        publish_event(&mut conn, org, "nobody.listens", serde_json::json!({}))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_row_is_in_line_once_however_often_it_is_enqueued() {
    let redis = TestRedis::new();
    let queues = Queues::new(RedisPool::connect_lazy(&redis.config()).unwrap());
    let row = Uuid::new_v4();
    let first = queues.enqueue_document(row).await.unwrap();
    for _ in 0..5 {
        assert_eq!(queues.enqueue_document(row).await.unwrap(), first);
    }
    let stats = queues.queue_stats(Queue::DocumentProcessing).await.unwrap();
    assert_eq!(stats.pending, 1);
    assert_eq!(first, jobs::payload::job_id_of_row(row));
}

/// Pinned to apalis-redis 1.0.0 (`=1.0.0` in Cargo.toml): a job pushed
/// through our script is fetched, decoded and run by apalis-redis' own
/// `RedisStorage`, so the layout stays theirs (apalis-board reads it too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apalis_redis_storage_runs_what_our_push_stored() {
    use apalis::prelude::*;

    let redis = TestRedis::new();
    let queues = Queues::new(RedisPool::connect_lazy(&redis.config()).unwrap());
    let row = Uuid::new_v4();
    queues.enqueue_document(row).await.unwrap();

    let keys = queues.keys(Queue::DocumentProcessing);
    let conn = apalis_redis::connect(kv::test_support::redis_url())
        .await
        .unwrap();
    let config = apalis_redis::Config::default().queue(&keys.name);
    let storage = apalis_redis::RedisStorage::<DocumentJob>::new(conn).with_config(config);
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Uuid>();

    async fn record(
        job: DocumentJob,
        seen: Data<tokio::sync::mpsc::UnboundedSender<Uuid>>,
    ) -> Result<(), BoxDynError> {
        seen.send(job.document_id)?;
        Ok(())
    }
    let worker = WorkerBuilder::new("pinned-apalis-redis")
        .backend(storage)
        .data(seen_tx)
        .build(record);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run_until(async move {
        stopped
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))
    }));
    let got = tokio::time::timeout(Duration::from_secs(30), seen_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, row);
    let _ = stop.send(());
    let _ = handle.await;
}

#[path = "jobs/control.rs"]
mod control;
