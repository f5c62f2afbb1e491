//! The worker through a Redis Sentinel failover: e-mail jobs enqueued before
//! and right after the primary is killed are all sent, by the same worker
//! process, without a restart. Jobs whose enqueue failed during the gap, or
//! that the killed primary had not yet replicated, come back through the
//! sweeper: the outbox rows in Postgres keep the truth.

use std::time::{Duration, Instant};

use clap::Parser;
use jobs::Queues;
use kv::RedisPool;
use kv::test_support::sentinel::{MASTER, RedisGroup};
use storage::Database;
use storage::models::email_outbox::{self, NewOutboxEmail};
use storage::test_support::TestDatabase;
use uuid::Uuid;

async fn outbox_row(db: &Database) -> Uuid {
    let mut conn = db.get().await.unwrap();
    email_outbox::insert(
        &mut conn,
        &NewOutboxEmail {
            organization_id: None,
            to_address: "ada@example.com".into(),
            template: "invitation".into(),
            data: serde_json::json!({"organizationName": "Acme", "inviterName": "Grace", "link": "https://app.test/i"}),
        },
    )
    .await
    .unwrap()
    .id
}

async fn unsent(db: &Database, ids: &[Uuid]) -> usize {
    let mut conn = db.get().await.unwrap();
    let mut left = 0;
    for id in ids {
        let row = email_outbox::find_by_id(&mut conn, *id)
            .await
            .unwrap()
            .unwrap();
        left += usize::from(row.status != "sent");
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_job_is_lost_when_the_redis_primary_dies() {
    let mut group = RedisGroup::start();
    let test_db = TestDatabase::new().await;
    let db = test_db.database(4);
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("failover:{}", Uuid::new_v4().simple());
    let sentinels = group.sentinel_addrs().join(",");
    let outbox = dir.path().join("outbox");
    let config = worker::Config::try_parse_from([
        "echosenseix-worker",
        "--database-url",
        test_db.url(),
        "--redis-url",
        "redis://127.0.0.1",
        "--redis-sentinels",
        &sentinels,
        "--redis-sentinel-master",
        MASTER,
        "--redis-prefix",
        &prefix,
        "--encryption-key",
        &"ab".repeat(32),
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--email-outbox-dir",
        outbox.to_str().unwrap(),
        "--storage-dir",
        dir.path().to_str().unwrap(),
        "--queues",
        "email,sweeper",
        "--heartbeat-secs",
        "1",
        "--missed-heartbeats",
        "2",
        "--lease-secs",
        "3",
        "--poll-interval-ms",
        "200",
        "--sweep-interval-secs",
        "1",
        "--sweep-queued-after-secs",
        "2",
        "--database-max-connections",
        "6",
        "--database-min-idle",
        "1",
    ])
    .unwrap();
    let running = worker::start(config).await.unwrap();
    let queues = Queues::new(RedisPool::connect_lazy(&group.config(&prefix)).unwrap());

    let mut ids = Vec::new();
    for _ in 0..10 {
        let id = outbox_row(&db).await;
        queues.enqueue_email(id).await;
        ids.push(id);
    }
    let killed = Instant::now();
    group.kill_primary();
    // Enqueues during the gap fail softly (logged): the rows stay queued.
    for _ in 0..10 {
        let id = outbox_row(&db).await;
        queues.enqueue_email(id).await;
        ids.push(id);
    }
    group.wait_for_failover();
    let deadline = Instant::now() + Duration::from_secs(90);
    while unsent(&db, &ids).await > 0 {
        assert!(
            Instant::now() < deadline,
            "jobs lost: {} of 20 never sent",
            unsent(&db, &ids).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "failover: all 20 e-mails sent {:?} after the primary was killed",
        killed.elapsed()
    );
    running.join().await.unwrap();
}
