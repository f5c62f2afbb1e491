//! Live events for WebSocket clients, carried over Redis pub/sub so that an
//! event raised on any instance (or by the worker) reaches the clients of
//! that organization on every instance. Each process holds one pub/sub
//! connection and fans messages out to per-organization channels in memory.
//!
//! The same connection carries revocation notices: after a token, key or
//! user loses access, every instance re-checks the open WebSockets of that
//! organization (`watch_revocations`). A notice lost while the listener was
//! disconnected cannot go unnoticed: every (re)subscription also asks every
//! local socket to re-check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::redis_pool::{RedisError, RedisPool};

/// Events a slow client may fall behind by before it skips ahead.
const CHANNEL_CAPACITY: usize = 256;

/// `{type, organizationId, data, timestamp}`, as clients receive it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub organization_id: Uuid,
    pub data: serde_json::Value,
    pub timestamp: DateTime<Utc>,
}

impl Event {
    pub fn new(kind: &str, organization_id: Uuid, data: serde_json::Value) -> Self {
        Self {
            kind: kind.to_owned(),
            organization_id,
            data,
            timestamp: Utc::now(),
        }
    }
}

#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

struct Inner {
    pool: RedisPool,
    channels: Mutex<HashMap<Uuid, broadcast::Sender<Arc<str>>>>,
    revocations: Mutex<HashMap<Uuid, watch::Sender<()>>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl EventBus {
    pub fn new(pool: RedisPool) -> Self {
        Self {
            inner: Arc::new(Inner {
                pool,
                channels: Mutex::default(),
                revocations: Mutex::default(),
                listener: Mutex::default(),
            }),
        }
    }

    fn channel_prefix(&self) -> String {
        self.inner.pool.key("events:")
    }

    fn revocation_prefix(&self) -> String {
        self.inner.pool.key("revoked:")
    }

    /// Tells every instance that some principal of this organization lost
    /// access, so its open WebSockets re-check their tokens. Errors are
    /// logged: the caller has already committed the revocation, and the
    /// listener's re-check after a reconnect covers a lost notice.
    pub async fn publish_revocation(&self, organization_id: Uuid) {
        let channel = format!("{}{}", self.revocation_prefix(), organization_id.simple());
        let sent: Result<u64, _> = self
            .inner
            .pool
            .run(|mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg("1")
                    .query_async(&mut *conn)
                    .await
            })
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, organization.id = %organization_id, "revocation notice not published");
        }
    }

    /// Changes whenever a principal of the organization may have lost
    /// access (on any instance), or the listener reconnected: the holder
    /// re-checks its token then.
    pub fn watch_revocations(&self, organization_id: Uuid) -> watch::Receiver<()> {
        self.ensure_listener();
        let mut revocations = lock(&self.inner.revocations);
        revocations
            .entry(organization_id)
            .or_insert_with(|| watch::channel(()).0)
            .subscribe()
    }

    fn notify_revoked(&self, organization_id: Option<Uuid>) {
        let mut revocations = lock(&self.inner.revocations);
        match organization_id {
            Some(org) => {
                if let Some(sender) = revocations.get(&org)
                    && sender.send(()).is_err()
                {
                    revocations.remove(&org);
                }
            }
            // Everyone re-checks: notices may have been missed.
            None => revocations.retain(|_, sender| sender.send(()).is_ok()),
        }
    }

    /// Publishes to every instance; returns how many instances listened.
    pub async fn publish(&self, event: &Event) -> Result<u64, RedisError> {
        let channel = format!(
            "{}{}",
            self.channel_prefix(),
            event.organization_id.simple()
        );
        let payload =
            serde_json::to_string(event).map_err(|e| RedisError::Unavailable(e.to_string()))?;
        self.inner
            .pool
            .run(|mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async(&mut *conn)
                    .await
            })
            .await
    }

    /// Publishes, logging instead of failing: a lost live event only delays
    /// a dashboard refresh, never data.
    pub async fn publish_or_log(&self, event: &Event) {
        if let Err(e) = self.publish(event).await {
            tracing::debug!(error = %e, event.kind = %event.kind, "live event not published");
        }
    }

    /// A receiver of the serialized events of one organization. Starts the
    /// process' pub/sub listener on first use.
    pub fn subscribe(&self, organization_id: Uuid) -> broadcast::Receiver<Arc<str>> {
        self.ensure_listener();
        let mut channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        channels
            .entry(organization_id)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Local subscribers across all organizations (a gauge for metrics).
    pub fn local_subscribers(&self) -> usize {
        let channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        channels
            .values()
            .map(broadcast::Sender::receiver_count)
            .sum()
    }

    fn ensure_listener(&self) {
        let mut listener = self
            .inner
            .listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if listener.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let bus = self.clone();
        *listener = Some(tokio::spawn(async move { bus.listen_forever().await }));
    }

    async fn listen_forever(self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.listen_once().await {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(error = %e, retry.ms = backoff.as_millis() as u64, "event listener lost Redis");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
            tokio::time::sleep(backoff).await;
        }
    }

    async fn listen_once(&self) -> Result<(), redis::RedisError> {
        // Through the target: after a failover the listener reconnects to
        // the new primary.
        let client = self.inner.pool.target().client().await?;
        let mut pubsub = client.get_async_pubsub().await?;
        let prefix = self.channel_prefix();
        let revoked_prefix = self.revocation_prefix();
        pubsub.psubscribe(format!("{prefix}*")).await?;
        pubsub.psubscribe(format!("{revoked_prefix}*")).await?;
        self.notify_revoked(None);
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let channel = message.get_channel_name();
            if let Some(org) = channel
                .strip_prefix(&revoked_prefix)
                .and_then(|s| Uuid::parse_str(s).ok())
            {
                self.notify_revoked(Some(org));
                continue;
            }
            let Some(org) = channel
                .strip_prefix(&prefix)
                .and_then(|s| Uuid::parse_str(s).ok())
            else {
                continue;
            };
            let Ok(payload) = message.get_payload::<String>() else {
                continue;
            };
            self.deliver(org, payload.into());
        }
        Ok(())
    }

    fn deliver(&self, organization_id: Uuid, payload: Arc<str>) {
        let mut channels = self
            .inner
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(sender) = channels.get(&organization_id)
            && sender.send(payload).is_err()
        {
            // Nobody of this organization listens here any more.
            channels.remove(&organization_id);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
