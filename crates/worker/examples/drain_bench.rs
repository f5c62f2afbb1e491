//! Drain benchmark: jobs/s drained by one worker process at concurrency 1, 8
//! and 50 for a no-op job, and the enqueue-to-start latency (p50/p99) of
//! jobs pushed at 500 jobs/s to an idle worker. Uses the real enqueue path
//! (`Queues::push`, wake-up publish) and the worker's wake-up machinery.
//!
//! cargo run --release -p echosenseix-worker --example drain_bench
//! (REDIS_URL, default redis://127.0.0.1:6379; keys under a random prefix,
//! deleted at the end)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apalis::prelude::*;
use apalis_redis::RedisStorage;
use jobs::{Job, Queue, Queues};
use serde::{Deserialize, Serialize};
use storage::RedisPool;
use storage::config::RedisConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Bench {
    sent_micros: u64,
}

impl Job for Bench {
    const QUEUE: Queue = Queue::Email;
}

#[derive(Default)]
struct Stats {
    done: AtomicU64,
    latencies: std::sync::Mutex<Vec<u64>>,
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

async fn noop(job: Bench, stats: Data<Arc<Stats>>) -> Result<(), BoxDynError> {
    let latency = now_micros().saturating_sub(job.sent_micros);
    if let Ok(mut l) = stats.latencies.lock() {
        l.push(latency);
    }
    stats.done.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Runs a worker until the returned sender fires.
macro_rules! spawn_worker {
    ($conn:expr, $prefix:expr, $concurrency:expr, $stats:expr, $context:expr) => {{
        let config = Queue::Email.keys($prefix).apalis_config(
            Duration::from_secs(5),
            2,
            ($concurrency as usize).max(10),
        );
        let w = WorkerBuilder::new($context)
            .backend(RedisStorage::<Bench, _>::new($conn).with_config(config))
            .data($stats)
            .concurrency($concurrency)
            .parallelize(tokio::spawn)
            .build(noop);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(w.run_until(async move {
            stopped
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
        }));
        (stop, handle)
    }};
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench:{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let redis_config = RedisConfig::new(&url, &prefix);
    let queues = Queues::new(RedisPool::connect_lazy(&redis_config)?);
    let conn = apalis_redis::connect(url.as_str()).await?;
    let wakers: worker::app::Wakers = Default::default();
    tokio::spawn(worker::wake::listen(
        redis_config.clone(),
        vec![Queue::Email],
        wakers.clone(),
    ));

    const N: u64 = 20_000;
    println!("drain of {N} no-op jobs (pushed first, then one worker process drains them):");
    for concurrency in [1usize, 8, 50] {
        let batch: Vec<Bench> = (0..1_000)
            .map(|_| Bench {
                sent_micros: now_micros(),
            })
            .collect();
        for _ in 0..N / 1_000 {
            queues.push(&batch, None).await?;
        }
        let stats = Arc::new(Stats::default());
        let name = format!(
            "bench-drain-{concurrency}-{}",
            uuid::Uuid::new_v4().simple()
        );
        let context = WorkerContext::new(&name);
        let started = Instant::now();
        let (stop, handle) =
            spawn_worker!(conn.clone(), &prefix, concurrency, stats.clone(), &context);
        let rx = worker::wake::channel(&wakers, Queue::Email);
        tokio::spawn(worker::wake::nudge(
            context.clone(),
            rx,
            Duration::from_millis(1000),
        ));
        while stats.done.load(Ordering::Relaxed) < N {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "  concurrency {concurrency:>2}: {:>8.0} jobs/s ({N} in {secs:.2} s)",
            N as f64 / secs
        );
        let _ = stop.send(());
        let _ = handle.await;
    }

    println!("enqueue-to-start latency, 500 jobs/s for 4 s to an idle worker (concurrency 8):");
    let stats = Arc::new(Stats::default());
    let context = WorkerContext::new(&format!("bench-latency-{}", uuid::Uuid::new_v4().simple()));
    let (stop, handle) = spawn_worker!(conn.clone(), &prefix, 8usize, stats.clone(), &context);
    tokio::spawn(worker::wake::nudge(
        context.clone(),
        worker::wake::channel(&wakers, Queue::Email),
        Duration::from_millis(1000),
    ));
    tokio::time::sleep(Duration::from_millis(1500)).await; // idle first
    let total = 2_000u64;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    for _ in 0..total {
        tick.tick().await;
        queues
            .push(
                &[Bench {
                    sent_micros: now_micros(),
                }],
                None,
            )
            .await?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while stats.done.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut lat = stats
        .latencies
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "  {} jobs: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        pct(0.50) as f64 / 1000.0,
        pct(0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    let _ = stop.send(());
    let _ = handle.await;

    let mut c = redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut c)
        .await?;
    if !keys.is_empty() {
        let () = redis::cmd("DEL").arg(keys).query_async(&mut c).await?;
    }
    Ok(())
}
