//! Operator controls against real Redis and Postgres: pause flags, the
//! per-minute counters, the worker registry, job listings, discard, audit.

use jobs::control::inspect::JobState;
use jobs::control::{AuditEntry, JobSet, WorkerPresence, WorkerQueue};
use jobs::{EmailJob, JobsError, Queue, Queues};
use kv::RedisPool;
use kv::test_support::TestRedis;
use serde_json::json;
use storage::models::{email_outbox, organizations};
use storage::test_support::TestDatabase;
use uuid::Uuid;

fn queues(redis: &TestRedis) -> Queues {
    Queues::new(RedisPool::connect_lazy(&redis.config()).unwrap())
}

async fn raw(queues: &Queues, pipe: redis::Pipeline) {
    queues
        .redis()
        .run(|mut c| async move { pipe.query_async::<()>(&mut *c).await })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_paused_queue_says_so_until_resumed() {
    let redis = TestRedis::new();
    let q = queues(&redis);
    assert!(!q.queue_stats(Queue::Email).await.unwrap().paused);
    assert!(q.pause(Queue::Email).await.unwrap());
    assert!(!q.pause(Queue::Email).await.unwrap(), "already paused");
    assert!(q.queue_stats(Queue::Email).await.unwrap().paused);
    assert!(q.paused_since(Queue::Email).await.unwrap().is_some());
    assert!(!q.queue_stats(Queue::Sweeper).await.unwrap().paused);
    assert!(q.resume(Queue::Email).await.unwrap());
    assert!(
        !q.resume(Queue::Email).await.unwrap(),
        "not paused any more"
    );
    assert!(!q.queue_stats(Queue::Email).await.unwrap().paused);
}

#[tokio::test]
async fn throughput_reads_the_last_hour_of_minute_counters() {
    let redis = TestRedis::new();
    let q = queues(&redis);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    q.record_outcome(Queue::Email, true).await.unwrap();
    q.record_outcome(Queue::Email, true).await.unwrap();
    q.record_outcome(Queue::Email, false).await.unwrap();
    // Ten minutes ago, and two hours ago (outside the window).
    let keys = q.keys(Queue::Email);
    let mut pipe = redis::pipe();
    pipe.hincr(keys.minute(now / 60 - 10), "done", 7).hincr(
        keys.minute(now / 60 - 120),
        "done",
        99,
    );
    raw(&q, pipe).await;

    let minutes = q.throughput(Queue::Email, now, 60).await.unwrap();
    assert_eq!(minutes.len(), 60);
    let last = minutes.last().unwrap();
    assert_eq!(last.minute, now / 60);
    // The three may straddle a minute boundary: count the last two minutes.
    let recent: (u64, u64) = minutes[58..]
        .iter()
        .fold((0, 0), |(d, f), m| (d + m.done, f + m.failed));
    assert_eq!(recent, (2, 1));
    assert_eq!(minutes[49].done, 7);
    assert_eq!(minutes.iter().map(|m| m.done).sum::<u64>(), 9);
    assert!(
        q.throughput(Queue::Sweeper, now, 60)
            .await
            .unwrap()
            .iter()
            .all(|m| m.done == 0 && m.failed == 0)
    );
}

fn presence(name: &str, heartbeat: u64) -> WorkerPresence {
    WorkerPresence {
        name: name.into(),
        host: "host-a".into(),
        pid: 42,
        version: "0.1.0".into(),
        started_at: heartbeat - 5,
        heartbeat,
        queues: vec![WorkerQueue {
            queue: Queue::Email,
            concurrency: 8,
            running: 2,
        }],
        honours_pause: false,
        draining: false,
    }
}

#[tokio::test]
async fn the_registry_lists_live_workers_and_the_ones_that_stopped() {
    let redis = TestRedis::new();
    let q = queues(&redis);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    q.announce(&presence("w-a", now), 30).await.unwrap();
    q.announce(&presence("w-b", now - 1), 30).await.unwrap();
    let workers = q.workers().await.unwrap();
    let names: Vec<&str> = workers.live.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["w-a", "w-b"], "newest heartbeat first");
    assert_eq!(workers.live[0].running(), 2);
    assert!(workers.died_recently.is_empty());

    q.retire("w-b").await.unwrap();
    let workers = q.workers().await.unwrap();
    assert_eq!(workers.live.len(), 1);
    assert_eq!(workers.died_recently.len(), 1);
    assert_eq!(workers.died_recently[0].name, "w-b");
    assert!(
        queues(&TestRedis::new())
            .workers()
            .await
            .unwrap()
            .live
            .is_empty()
    );
}

/// A mail row of `org` whose job died with `error` at `done_at`.
async fn dead_mail(
    q: &Queues,
    conn: &mut diesel_async::AsyncPgConnection,
    org: Uuid,
    done_at: u64,
    error: &str,
) -> (Uuid, String) {
    let mail = email_outbox::insert(
        conn,
        &email_outbox::NewOutboxEmail {
            organization_id: Some(org),
            to_address: format!("{}@example.com", Uuid::new_v4().simple()),
            template: email_outbox::template::WELCOME.into(),
            data: json!({}),
        },
    )
    .await
    .unwrap();
    let id = q
        .push(&[EmailJob { email_id: mail.id }], None)
        .await
        .unwrap()
        .remove(0);
    let keys = q.keys(Queue::Email);
    let mut pipe = redis::pipe();
    pipe.lrem(keys.active(), 0, &id)
        .sadd(keys.dead(), &id)
        .hset_multiple(
            keys.meta(&id),
            &[
                ("status", "Killed".to_owned()),
                ("attempts", "5".to_owned()),
                ("result", json!({ "Err": error }).to_string()),
                ("done_at", done_at.to_string()),
            ],
        );
    raw(q, pipe).await;
    (mail.id, id)
}

#[tokio::test]
async fn dead_jobs_list_newest_first_with_their_rows_and_can_be_discarded() {
    let (db, redis) = (TestDatabase::new().await, TestRedis::new());
    let database = db.database(2);
    let mut conn = database.get().await.unwrap();
    let q = queues(&redis);
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
    let (_, old) = dead_mail(&q, &mut conn, org, 1_000, "old failure").await;
    let (row, new) = dead_mail(&q, &mut conn, org, 2_000, "smtp said no").await;
    let (_, mid) = dead_mail(&q, &mut conn, org, 1_500, "middle").await;

    let page = q
        .list_jobs(&mut conn, Queue::Email, JobSet::Dead, 0, 2)
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    let ids: Vec<&str> = page.jobs.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(ids, [new.as_str(), mid.as_str()]);
    let first = &page.jobs[0];
    assert_eq!(first.error.as_deref(), Some("smtp said no"));
    assert_eq!((first.attempts, first.finished_at), (5, Some(2_000)));
    assert!(first.created_ms.is_some());
    let info = first.row.as_ref().unwrap();
    assert_eq!(
        (info.id, info.organization_id, info.kind),
        (row, Some(org), "mail")
    );
    let rest = q
        .list_jobs(&mut conn, Queue::Email, JobSet::Dead, 2, 2)
        .await
        .unwrap();
    assert_eq!(rest.jobs.len(), 1);
    assert_eq!(rest.jobs[0].id, old);

    let found = q
        .find_job(&mut conn, Queue::Email, &new)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.state, JobState::Dead);
    assert!(
        q.find_job(&mut conn, Queue::Email, "01NOSUCHJOB")
            .await
            .unwrap()
            .is_none()
    );

    q.discard(Queue::Email, &new).await.unwrap();
    assert!(matches!(
        q.discard(Queue::Email, &new).await,
        Err(JobsError::NotFound(_))
    ));
    assert!(
        q.find_job(&mut conn, Queue::Email, &new)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(q.queue_stats(Queue::Email).await.unwrap().dead, 2);

    // A retry waiting for its next attempt is listed as scheduled.
    let later = q
        .push(
            &[EmailJob {
                email_id: Uuid::new_v4(),
            }],
            Some(std::time::Duration::from_secs(600)),
        )
        .await
        .unwrap()
        .remove(0);
    let mut pipe = redis::pipe();
    pipe.hset(q.keys(Queue::Email).meta(&later), "attempts", 2);
    raw(&q, pipe).await;
    let scheduled = q
        .list_jobs(&mut conn, Queue::Email, JobSet::Scheduled, 0, 10)
        .await
        .unwrap();
    assert_eq!(scheduled.total, 1);
    assert!(scheduled.jobs[0].next_attempt_at.is_some());
    let stats = q.queue_stats(Queue::Email).await.unwrap();
    assert_eq!((stats.scheduled, stats.failed), (1, 1));
}

#[tokio::test]
async fn audit_entries_read_back_newest_first() {
    let redis = TestRedis::new();
    let q = queues(&redis);
    for action in ["queue.pause", "queue.resume"] {
        q.audit(&AuditEntry {
            at: 1,
            actor: "s-1".into(),
            ip: Some("127.0.0.1".into()),
            action: action.into(),
            queue: Some("email".into()),
            target: None,
            outcome: "paused".into(),
        })
        .await
        .unwrap();
    }
    let entries = q.audit_recent(10).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["queue.resume", "queue.pause"]);
}
