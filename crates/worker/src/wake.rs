//! Prompt pick-up without busy polling. apalis-redis only looks at an idle
//! queue on its poll strategy, and its pushes land in the scheduled set
//! without any notification, so every enqueue also publishes on
//! `{prefix}:{queue}:wake`. One subscriber per process forwards those to the
//! idle worker of the queue; a slow interval stays as a backstop (missed
//! messages while Redis reconnects, retries coming due).

use std::collections::HashMap;
use std::time::Duration;

use apalis::prelude::WorkerContext;
use futures::StreamExt;
use jobs::Queue;
use tokio::sync::mpsc;

use crate::app::Wakers;

/// Wakes `worker` whenever a wake-up arrives, and every `backstop` (retries
/// coming due, messages missed while Redis reconnected). apalis 1.0 offers
/// no public wake; pausing and resuming an idle worker wakes it (its poll
/// strategy combinator trips a rustc ICE with this stack).
pub async fn nudge(worker: WorkerContext, mut rx: mpsc::Receiver<()>, backstop: Duration) {
    let mut interval = tokio::time::interval(backstop.max(Duration::from_millis(10)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = rx.recv() => if message.is_none() { return },
            _ = interval.tick() => {}
        }
        if worker.is_shutting_down() || worker.is_stopped() {
            return;
        }
        if worker.is_running() && worker.pause().is_ok() {
            let _ = worker.resume();
        }
    }
}

/// The wake-up channel of `queue`'s worker in this process.
pub fn channel(wakers: &Wakers, queue: Queue) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel(1);
    if let Ok(mut map) = wakers.write() {
        map.insert(queue, tx);
    }
    rx
}

/// Forwards `{prefix}:{queue}:wake` messages to the local workers, and
/// reconnects after Redis goes away.
pub async fn listen(redis: storage::config::RedisConfig, queues: Vec<Queue>, wakers: Wakers) {
    let channels: HashMap<String, Queue> = queues
        .iter()
        .map(|&q| (q.keys(&redis.prefix).wake_channel(), q))
        .collect();
    loop {
        match subscribe(&redis, &channels, &wakers).await {
            Ok(()) => tracing::warn!("wake-up subscription closed; reconnecting"),
            Err(error) => {
                tracing::warn!(error = %error, "wake-up subscription failed; retrying in 1 s")
            }
        }
        // Wake everyone: messages may have been missed meanwhile.
        for &queue in channels.values() {
            if let Ok(map) = wakers.read()
                && let Some(tx) = map.get(&queue)
            {
                let _ = tx.try_send(());
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn subscribe(
    redis: &storage::config::RedisConfig,
    channels: &HashMap<String, Queue>,
    wakers: &Wakers,
) -> Result<(), redis::RedisError> {
    // Asks Sentinel (when configured) on every resubscribe: follows a failover.
    let client = storage::redis_target::RedisTarget::from_config(redis)?
        .client()
        .await?;
    let mut pubsub = client.get_async_pubsub().await?;
    for channel in channels.keys() {
        pubsub.subscribe(channel).await?;
    }
    tracing::debug!(channels = channels.len(), "listening for wake-ups");
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        if let Some(&queue) = channels.get(message.get_channel_name())
            && let Ok(map) = wakers.read()
            && let Some(tx) = map.get(&queue)
        {
            let _ = tx.try_send(());
        }
    }
    Ok(())
}
