//! Redis failover with Sentinel (a private primary, replica and three
//! sentinels, see `test_support::sentinel`): the primary is killed while
//! the cache, the rate limiter, live events and a queue connection are in
//! use; afterwards each works again on the promoted replica, without a
//! restart. The gap each saw is printed (docs/BENCHMARKS.md quotes it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kv::RedisPool;
use kv::cache::{Cache, CacheStatus, Namespace};
use kv::events::{Event, EventBus};
use kv::rate_limit::{self, Limit, Outcome};
use kv::redis_follow::FollowingConnection;
use kv::test_support::sentinel::RedisGroup;
use uuid::Uuid;

/// Retries `attempt` every 50 ms until it succeeds; returns how long that
/// took. Fails after a minute (not a timing assertion: "never recovered").
async fn until_ok(what: &str, mut attempt: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !attempt().await {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} never recovered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

/// A miss then a hit of a new key.
async fn cache_round_trip(cache: &Cache, org: Uuid) -> bool {
    let key = Uuid::new_v4().to_string();
    let load = || async { Ok::<_, std::convert::Infallible>(1u8) };
    let first = cache.wrap(Namespace::Agent, org, &key, load).await.unwrap();
    let second = cache.wrap(Namespace::Agent, org, &key, load).await.unwrap();
    first.1 == CacheStatus::Miss && second.1 == CacheStatus::Hit
}

async fn queue_round_trip(conn: &mut FollowingConnection, key: &str) -> bool {
    let pushed: Result<i64, _> = redis::cmd("LPUSH")
        .arg(key)
        .arg("job")
        .query_async(conn)
        .await;
    let popped: Result<Option<String>, _> = redis::cmd("RPOP").arg(key).query_async(conn).await;
    pushed.is_ok() && matches!(popped, Ok(Some(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_limits_events_and_queues_follow_a_sentinel_failover() {
    let mut group = RedisGroup::start();
    let config = group.config(&format!("failover:{}", Uuid::new_v4().simple()));
    let pool = RedisPool::connect_lazy(&config).unwrap();
    let cache = Cache::new(pool.clone());
    let events = EventBus::new(pool.clone());
    let mut queue = FollowingConnection::connect(pool.target().clone())
        .await
        .unwrap();
    let org = Uuid::new_v4();
    let mut received = events.subscribe(org);

    // Everything works on the first primary.
    assert!(cache_round_trip(&cache, org).await);
    assert!(queue_round_trip(&mut queue, &pool.key("queue")).await);
    until_ok("first event", async || {
        let _ = events
            .publish(&Event::new("ping", org, serde_json::json!({})))
            .await;
        tokio::time::timeout(Duration::from_millis(200), received.recv())
            .await
            .is_ok()
    })
    .await;

    // Load: cache reads and limiter hits keep running through the failover.
    let stop = Arc::new(AtomicBool::new(false));
    let (served, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load = {
        let (stop, served, failed, cache, pool) = (
            stop.clone(),
            served.clone(),
            failed.clone(),
            cache.clone(),
            pool.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let ok = cache.available()
                    && !matches!(
                        rate_limit::hit(
                            &pool,
                            "load",
                            "caller",
                            Limit::new(1_000_000, Duration::from_secs(60))
                        )
                        .await,
                        Outcome::Unavailable
                    );
                let _ = cache
                    .wrap(Namespace::Org, org, "load", || async { Ok::<_, ()>(1u8) })
                    .await;
                if ok { &served } else { &failed }.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Instant::now();
    group.kill_primary();
    group.wait_for_failover();
    let promoted = killed.elapsed();

    let cache_gap =
        until_ok("cache", async || cache_round_trip(&cache, org).await).await + promoted;
    let limit_id = Uuid::new_v4().to_string();
    let limit_gap = until_ok("rate limit", async || {
        matches!(
            rate_limit::hit(
                &pool,
                "after",
                &limit_id,
                Limit::new(5, Duration::from_secs(60))
            )
            .await,
            Outcome::Allowed { .. }
        )
    })
    .await
        + promoted;
    let queue_key = pool.key("queue");
    let queue_gap = until_ok("queue connection", async || {
        queue_round_trip(&mut queue, &queue_key).await
    })
    .await
        + promoted;
    let events_gap = until_ok("live events", async || {
        let _ = events
            .publish(&Event::new("ping", org, serde_json::json!({})))
            .await;
        tokio::time::timeout(Duration::from_millis(200), received.recv())
            .await
            .is_ok()
    })
    .await
        + promoted;
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    println!(
        "failover: sentinels promoted the replica {promoted:?} after the kill; working again after: \
         cache {cache_gap:?}, rate limits {limit_gap:?}, queue connection {queue_gap:?}, live events {events_gap:?}; \
         load calls served {} / failed open {}",
        served.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed)
    );

    // The limiter counts on the new primary: the sixth hit is over the limit.
    for _ in 0..4 {
        rate_limit::hit(
            &pool,
            "after",
            &limit_id,
            Limit::new(5, Duration::from_secs(60)),
        )
        .await;
    }
    assert!(
        rate_limit::hit(
            &pool,
            "after",
            &limit_id,
            Limit::new(5, Duration::from_secs(60))
        )
        .await
        .is_limited()
    );
    assert_eq!(group.current_primary(), Some(group.replica.port));
}
