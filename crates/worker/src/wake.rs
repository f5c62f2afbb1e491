//! Prompt pick-up without busy polling: every enqueue publishes on
//! `{prefix}:{queue}:wake`, and one subscriber per process rings the
//! doorbell of its worker of that queue (see `jobs::backend::Doorbell`). The
//! backend's slow backstop fetch covers messages missed while Redis
//! reconnects and retries coming due.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use jobs::Queue;

use crate::app::Doorbells;

/// Forwards `{prefix}:{queue}:wake` messages to the local workers, and
/// reconnects after Redis goes away.
pub async fn listen(redis: settings::RedisConfig, doorbells: Doorbells) {
    let channels: HashMap<String, Queue> = doorbells
        .keys()
        .map(|&q| (q.keys(&redis.prefix).wake_channel(), q))
        .collect();
    loop {
        match subscribe(&redis, &channels, &doorbells).await {
            Ok(()) => tracing::warn!("wake-up subscription closed; reconnecting"),
            Err(error) => {
                tracing::warn!(error = %error, "wake-up subscription failed; retrying in 1 s")
            }
        }
        // Messages may have been missed meanwhile: everyone looks once.
        for bell in doorbells.values() {
            bell.ring();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn subscribe(
    redis: &settings::RedisConfig,
    channels: &HashMap<String, Queue>,
    doorbells: &Doorbells,
) -> Result<(), redis::RedisError> {
    // Asks Sentinel (when configured) on every resubscribe: follows a failover.
    let client = kv::redis_target::RedisTarget::from_config(redis)?
        .client()
        .await?;
    let mut pubsub = client.get_async_pubsub().await?;
    for channel in channels.keys() {
        pubsub.subscribe(channel).await?;
    }
    tracing::debug!(channels = channels.len(), "listening for wake-ups");
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        if let Some(queue) = channels.get(message.get_channel_name())
            && let Some(bell) = doorbells.get(queue)
        {
            bell.ring();
        }
    }
    Ok(())
}
