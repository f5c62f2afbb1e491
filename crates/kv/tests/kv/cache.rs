//! The Redis cache against a real Redis: hits, invalidation by generation,
//! one load for many concurrent misses, and requests that keep working while
//! Redis is absent or goes away, recovering when it returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use kv::RedisPool;
use kv::cache::{Cache, CacheStatus, Namespace};
use kv::test_support::{PrivateRedis, TestRedis, free_port};
use settings::RedisConfig;
use uuid::Uuid;

fn cache_for(config: &RedisConfig) -> Cache {
    Cache::new(RedisPool::connect_lazy(config).unwrap())
}

async fn load_value(
    counter: &AtomicUsize,
    value: &str,
) -> Result<String, std::convert::Infallible> {
    counter.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(value.to_owned())
}

#[tokio::test]
async fn second_read_hits_and_invalidation_reloads() {
    let redis = TestRedis::new();
    let cache = cache_for(&redis.config());
    let org = Uuid::new_v4();
    let loads = AtomicUsize::new(0);
    let (v, s) = cache
        .wrap(Namespace::Agent, org, "list:1", || load_value(&loads, "v1"))
        .await
        .unwrap();
    assert_eq!((v.as_str(), s), ("v1", CacheStatus::Miss));
    let (v, s) = cache
        .wrap(Namespace::Agent, org, "list:1", || load_value(&loads, "v2"))
        .await
        .unwrap();
    assert_eq!((v.as_str(), s), ("v1", CacheStatus::Hit));
    cache.invalidate(Namespace::Agent, org).await;
    let (v, s) = cache
        .wrap(Namespace::Agent, org, "list:1", || load_value(&loads, "v2"))
        .await
        .unwrap();
    assert_eq!((v.as_str(), s), ("v2", CacheStatus::Miss));
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn invalidation_is_scoped_to_one_organization_and_namespace() {
    let redis = TestRedis::new();
    let cache = cache_for(&redis.config());
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    cache.set(Namespace::Agent, a, "k", &1u32).await;
    cache.set(Namespace::Agent, b, "k", &2u32).await;
    cache.set(Namespace::Kb, a, "k", &3u32).await;
    cache.invalidate(Namespace::Agent, a).await;
    assert_eq!(cache.get::<u32>(Namespace::Agent, a, "k").await, None);
    assert_eq!(cache.get::<u32>(Namespace::Agent, b, "k").await, Some(2));
    assert_eq!(cache.get::<u32>(Namespace::Kb, a, "k").await, Some(3));
    cache.del(Namespace::Kb, a, "k").await;
    assert_eq!(cache.get::<u32>(Namespace::Kb, a, "k").await, None);
}

#[tokio::test]
async fn keys_carry_the_prefix_and_namespace_and_expire() {
    let redis = TestRedis::new();
    let cache = cache_for(&redis.config());
    let org = Uuid::new_v4();
    cache.set(Namespace::Kb, org, "stats", &"x").await;
    let client = redis::Client::open(kv::test_support::redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:cache:kb:{}:*", redis.prefix(), org.simple()))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        ttl > 0 && ttl <= 300,
        "kb entries live 5 minutes, got {ttl}"
    );
}

#[tokio::test]
async fn concurrent_misses_run_the_loader_once() {
    let redis = TestRedis::new();
    let cache = cache_for(&redis.config());
    let org = Uuid::new_v4();
    let loads = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let cache = cache.clone();
            let loads = loads.clone();
            tokio::spawn(async move {
                cache
                    .wrap(Namespace::Analytics, org, "overview", || {
                        load_value(&loads, "v")
                    })
                    .await
                    .unwrap()
                    .0
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), "v");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unreachable_redis_falls_through_to_the_loader_quickly() {
    let cache = cache_for(&RedisConfig::new("redis://127.0.0.1:1", "nothing"));
    let org = Uuid::new_v4();
    let loads = AtomicUsize::new(0);
    for _ in 0..20 {
        let (v, s) = cache
            .wrap(Namespace::Org, org, "k", || load_value(&loads, "db"))
            .await
            .unwrap();
        assert_eq!((v.as_str(), s), ("db", CacheStatus::Miss));
    }
    assert_eq!(loads.load(Ordering::SeqCst), 20);
    assert!(
        !cache.available(),
        "the cache is bypassed while Redis is down"
    );
}

#[tokio::test]
async fn redis_going_away_mid_test_degrades_then_recovers() {
    let port = free_port();
    let mut server = PrivateRedis::start_on(port);
    let cache = cache_for(&RedisConfig::new(
        &format!("redis://127.0.0.1:{port}"),
        "esx",
    ));
    let org = Uuid::new_v4();
    let loads = AtomicUsize::new(0);
    cache
        .wrap(Namespace::Agent, org, "k", || load_value(&loads, "v"))
        .await
        .unwrap();
    let (_, s) = cache
        .wrap(Namespace::Agent, org, "k", || load_value(&loads, "v"))
        .await
        .unwrap();
    assert_eq!(s, CacheStatus::Hit);

    server.stop();
    for _ in 0..5 {
        let (v, s) = cache
            .wrap(Namespace::Agent, org, "k", || load_value(&loads, "v"))
            .await
            .unwrap();
        assert_eq!(
            (v.as_str(), s),
            ("v", CacheStatus::Miss),
            "served from the loader while Redis is gone"
        );
    }

    let _server = PrivateRedis::start_on(port);
    let mut recovered = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cache
            .wrap(Namespace::Agent, org, "k", || load_value(&loads, "v"))
            .await
            .unwrap();
        let (_, s) = cache
            .wrap(Namespace::Agent, org, "k", || load_value(&loads, "v"))
            .await
            .unwrap();
        if s == CacheStatus::Hit {
            recovered = true;
            break;
        }
    }
    assert!(recovered, "the cache works again once Redis is back");
}

#[tokio::test]
async fn an_invalidation_lost_to_a_redis_stall_never_serves_stale_data() {
    let port = free_port();
    let _server = PrivateRedis::start_on(port);
    let url = format!("redis://127.0.0.1:{port}");
    let cache = cache_for(&RedisConfig::new(&url, "esx"));
    let org = Uuid::new_v4();
    cache.set(Namespace::Agent, org, "detail", &"old").await;
    assert_eq!(
        cache
            .get::<String>(Namespace::Agent, org, "detail")
            .await
            .as_deref(),
        Some("old")
    );

    // Redis stops answering (but keeps its data) while the write's
    // invalidation is sent: the invalidation is lost.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(800)
        .arg("ALL")
        .query_async(&mut admin)
        .await
        .unwrap();
    cache.invalidate(Namespace::Agent, org).await;
    assert!(!cache.available());

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        cache.get::<String>(Namespace::Agent, org, "detail").await,
        None,
        "stale entry must not be served"
    );
    cache.set(Namespace::Agent, org, "detail", &"new").await;
    assert_eq!(
        cache
            .get::<String>(Namespace::Agent, org, "detail")
            .await
            .as_deref(),
        Some("new")
    );
}
