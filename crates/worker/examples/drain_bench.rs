//! Queue benchmark through the worker's real backend (`jobs::backend`):
//! jobs/s drained by one worker process for a no-op job at backlogs of 10k,
//! 100k and 1M and concurrency 1, 8 and 50, and the enqueue-to-start
//! latency (p50/p99) of jobs pushed at 500 jobs/s to an idle worker. Each
//! figure is also printed as one machine-readable line (`drain backlog=...`,
//! `pickup rate=...`).
//!
//! cargo run --release -p echosenseix-worker --example drain_bench
//! REDIS_URL (default redis://127.0.0.1:6379); BENCH_BACKLOGS=10000,100000
//! narrows the backlogs; keys live under a random prefix, deleted at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use apalis::prelude::*;
use jobs::backend::{Doorbell, JobBackend, Plans, QueueConfig};
use jobs::{Job, Queue, Queues, RetryPolicy};
use kv::RedisPool;
use kv::redis_follow::FollowingConnection;
use serde::{Deserialize, Serialize};
use settings::RedisConfig;

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

/// Starts one worker on the bench queue; it runs until the sender fires.
macro_rules! spawn_worker {
    ($conn:expr, $prefix:expr, $concurrency:expr, $stats:expr, $bell:expr) => {{
        let config = QueueConfig {
            // The worker's defaults: at least the concurrency, growing to 200.
            batch_size: $concurrency,
            prefetch_max: 200,
            heartbeat: Duration::from_secs(3),
            missed_heartbeats: 3,
            poll_interval: Duration::from_secs(1),
            policy: RetryPolicy::default_for(Queue::Email),
        };
        let backend = JobBackend::<Bench, _>::new(
            $conn,
            Queue::Email.keys($prefix),
            config,
            Plans::default(),
            $bell,
        );
        let name = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let w = WorkerBuilder::new(name.as_str())
            .backend(backend)
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
    let backlogs: Vec<u64> = std::env::var("BENCH_BACKLOGS")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let prefix = format!("bench:{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let redis_config = RedisConfig::new(&url, &prefix);
    let queues = Queues::new(RedisPool::connect_lazy(&redis_config)?);
    let target = kv::redis_target::RedisTarget::from_config(&redis_config)?;
    let conn = FollowingConnection::connect(target).await?;
    let mut admin = redis::Client::open(url.as_str())?
        .get_multiplexed_async_connection()
        .await?;

    println!("drain of no-op jobs (pushed first, then one worker process drains them):");
    for &backlog in &backlogs {
        for concurrency in [1usize, 8, 50] {
            clear(&mut admin, &prefix).await?;
            fill(&queues, backlog).await?;
            let stats = Arc::new(Stats::default());
            let started = Instant::now();
            let bell = Arc::new(Doorbell::default());
            let (stop, handle) =
                spawn_worker!(conn.clone(), &prefix, concurrency, stats.clone(), bell);
            while stats.done.load(Ordering::Relaxed) < backlog {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let secs = started.elapsed().as_secs_f64();
            let rate = backlog as f64 / secs;
            println!(
                "  backlog {backlog:>8}, concurrency {concurrency:>2}: {rate:>8.0} jobs/s ({secs:.2} s)"
            );
            println!("drain backlog={backlog} concurrency={concurrency} jobs_per_s={rate:.0}");
            let _ = stop.send(());
            let _ = handle.await;
        }
    }
    clear(&mut admin, &prefix).await?;

    println!("enqueue-to-start latency, 500 jobs/s for 4 s to an idle worker (concurrency 8):");
    let stats = Arc::new(Stats::default());
    let bell = Arc::new(Doorbell::default());
    let doorbells = Arc::new([(Queue::Email, bell.clone())].into_iter().collect());
    tokio::spawn(worker::wake::listen(redis_config.clone(), doorbells));
    let (stop, handle) = spawn_worker!(conn.clone(), &prefix, 8usize, stats.clone(), bell);
    tokio::time::sleep(Duration::from_millis(1500)).await; // idle first
    let total = 2_000u64;
    let mut tick = tokio::time::interval(Duration::from_millis(2));
    for _ in 0..total {
        tick.tick().await;
        let job = Bench {
            sent_micros: now_micros(),
        };
        queues.push(&[job], None).await?;
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
        let at = ((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1));
        lat.get(at).copied().unwrap_or(0) as f64 / 1000.0
    };
    println!(
        "  {} jobs: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!(
        "pickup rate=500 p50_ms={:.2} p99_ms={:.2}",
        pct(0.50),
        pct(0.99)
    );
    let _ = stop.send(());
    let _ = handle.await;
    clear(&mut admin, &prefix).await?;
    Ok(())
}

/// Pushes `n` jobs in batches of 1,000 through the real enqueue path.
async fn fill(queues: &Queues, n: u64) -> anyhow::Result<()> {
    let mut left = n;
    while left > 0 {
        let size = left.min(1_000);
        let batch: Vec<Bench> = (0..size)
            .map(|_| Bench {
                sent_micros: now_micros(),
            })
            .collect();
        queues.push(&batch, None).await?;
        left -= size;
    }
    Ok(())
}

/// Deletes every key under the bench prefix (SCAN, so a big backlog does
/// not block Redis).
async fn clear(conn: &mut redis::aio::MultiplexedConnection, prefix: &str) -> anyhow::Result<()> {
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(10_000)
            .query_async(conn)
            .await?;
        if !keys.is_empty() {
            let () = redis::cmd("UNLINK").arg(keys).query_async(conn).await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
