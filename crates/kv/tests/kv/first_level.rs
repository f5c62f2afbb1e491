//! The first-level cache of two processes sharing one Redis: a repeated read
//! is answered from memory, an invalidation on one side has reached the
//! other once it returned, and losing Redis flushes memory.

use std::time::Duration;

use kv::RedisPool;
use kv::cache::{Cache, CacheStatus, Namespace};
use kv::test_support::{PrivateRedis, TestRedis};
use settings::RedisConfig;
use uuid::Uuid;

fn first_level(config: &RedisConfig) -> Cache {
    Cache::with_first_level(RedisPool::connect_lazy(config).unwrap(), config.clone())
}

async fn read(cache: &Cache, org: Uuid, value: &str) -> (String, CacheStatus) {
    cache
        .wrap(Namespace::Agent, org, "list", || async {
            Ok::<_, std::convert::Infallible>(value.to_owned())
        })
        .await
        .unwrap()
}

/// Reads until this process answers from memory: its bus listener starts in
/// the background. Fails only if that never happens.
async fn until_local(cache: &Cache, org: Uuid, value: &str) -> String {
    for _ in 0..400 {
        let (v, status) = read(cache, org, value).await;
        if status == CacheStatus::HitLocal {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the first level never answered");
}

#[tokio::test]
async fn an_invalidation_has_reached_every_process_when_it_returns() {
    let redis = TestRedis::new();
    let (a, b) = (first_level(&redis.config()), first_level(&redis.config()));
    let org = Uuid::new_v4();
    assert_eq!(read(&a, org, "v1").await.1, CacheStatus::Miss);
    assert_eq!(until_local(&b, org, "unused").await, "v1");
    assert_eq!(until_local(&a, org, "unused").await, "v1");
    for round in 2..12 {
        let value = format!("v{round}");
        a.invalidate(Namespace::Agent, org).await;
        // Not one read in between, on either side, may see the old value.
        let (seen, status) = read(&b, org, &value).await;
        assert_eq!(seen, value, "round {round}");
        assert_eq!(status, CacheStatus::Miss);
        assert_eq!(read(&a, org, "unused").await.0, value);
        assert_eq!(until_local(&b, org, "unused").await, value);
    }
    // Other organizations keep their entries.
    let other = Uuid::new_v4();
    read(&a, other, "x").await;
    until_local(&a, other, "unused").await;
    b.invalidate(Namespace::Agent, org).await;
    assert_eq!(read(&a, other, "unused").await.1, CacheStatus::HitLocal);
}

#[tokio::test]
async fn losing_redis_flushes_the_first_level() {
    let mut server = PrivateRedis::start();
    let config = RedisConfig::new(&server.url(), "esx");
    let (a, b) = (first_level(&config), first_level(&config));
    let org = Uuid::new_v4();
    read(&a, org, "old").await;
    assert_eq!(until_local(&b, org, "unused").await, "old");
    server.stop();
    // A write elsewhere cannot invalidate now; its invalidation fails and
    // returns only once no first level can still be serving.
    a.invalidate(Namespace::Agent, org).await;
    let (seen, status) = read(&b, org, "new").await;
    assert_eq!((seen.as_str(), status), ("new", CacheStatus::Miss));
}
