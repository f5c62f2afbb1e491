//! The invalidation bus of the first-level caches: Redis pub/sub that tells
//! every process which organization's answers to drop, with acknowledgments
//! so that a write returns only once every first level has let go.
//!
//! Channels (under the deployment prefix): `cache:bus` carries
//! `"{sender} {nonce} {scope|*} {ns,ns,..}"`; `cache:ack:{instance}` carries
//! `"ack {nonce}"` back to the sender and this process' own `"ping {ms}"`.
//! A broadcast waits for as many acks as PUBLISH counted listeners, at most
//! `local::FRESH`: an instance that has not processed the message by then
//! has not heard any later ping either, so its first level stopped serving.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::watch;
use uuid::Uuid;

use super::Namespace;
use super::local::{FRESH, Local};
use crate::redis_pool::RedisPool;
use settings::RedisConfig;

const PING_EVERY: Duration = Duration::from_millis(200);

/// What a message asks every first level to forget.
pub(super) enum Forget<'a> {
    Scope(Uuid, &'a [Namespace]),
    Everything,
}

pub(super) struct Bus {
    instance: String,
    redis: RedisPool,
    config: Option<RedisConfig>,
    local: Option<Arc<Local>>,
    waiters: Mutex<HashMap<u64, watch::Sender<usize>>>,
    nonce: AtomicU64,
    /// Since when (ms after `origin`, plus one) publishing has kept failing;
    /// 0 while it works.
    failing_since: Arc<AtomicU64>,
    origin: Instant,
}

impl Bus {
    /// A bus that only publishes: its messages are applied by listening
    /// processes, without waiting for them (no subscription to hear acks).
    pub(super) fn publisher(redis: RedisPool) -> Arc<Self> {
        Arc::new(Self {
            instance: "-".into(),
            redis,
            config: None,
            local: None,
            waiters: Mutex::default(),
            nonce: AtomicU64::new(0),
            failing_since: Arc::default(),
            origin: Instant::now(),
        })
    }

    /// A bus that listens (applying messages to `local`, if any) and waits
    /// for acks. Spawns its listener on the current tokio runtime.
    pub(super) fn listening(
        redis: RedisPool,
        config: RedisConfig,
        local: Option<Arc<Local>>,
    ) -> Arc<Self> {
        let bus = Arc::new(Self {
            instance: Uuid::new_v4().simple().to_string(),
            redis,
            config: Some(config),
            local,
            waiters: Mutex::default(),
            nonce: AtomicU64::new(0),
            failing_since: Arc::default(),
            origin: Instant::now(),
        });
        tokio::spawn(bus.clone().listen_forever());
        bus
    }

    fn bus_channel(&self) -> String {
        self.redis.key("cache:bus")
    }

    fn ack_channel(&self, instance: &str) -> String {
        self.redis.key(&format!("cache:ack:{instance}"))
    }

    /// Tells every listening process to drop `what`; returns once they all
    /// acknowledged (or `FRESH` passed). False when Redis did not take the
    /// message: the caller then cannot know who still holds the answers.
    pub(super) async fn broadcast(&self, what: Forget<'_>) -> bool {
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
        let message = match what {
            Forget::Scope(scope, namespaces) => {
                let names: Vec<&str> = namespaces.iter().map(|ns| ns.as_str()).collect();
                format!(
                    "{} {nonce} {} {}",
                    self.instance,
                    scope.simple(),
                    names.join(",")
                )
            }
            Forget::Everything => format!("{} {nonce} * *", self.instance),
        };
        let (tx, mut acks) = watch::channel(0usize);
        let waiting = self.config.is_some();
        if waiting {
            self.waiters_mut().insert(nonce, tx);
        }
        let channel = self.bus_channel();
        let published = self
            .redis
            .run(|mut conn| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(message)
                    .query_async::<usize>(&mut *conn)
                    .await
            })
            .await;
        if waiting {
            if let Ok(listeners) = published
                && tokio::time::timeout(FRESH, acks.wait_for(|n| *n >= listeners))
                    .await
                    .is_err()
            {
                tracing::warn!(
                    listeners,
                    "cache invalidation not acknowledged by every instance in time"
                );
            }
            self.waiters_mut().remove(&nonce);
        }
        note(&self.failing_since, self.origin, published.is_ok());
        published.is_ok()
    }

    /// After a failed broadcast: waits until no other instance can still be
    /// serving from its first level. Every instance stopped hearing the bus
    /// when Redis went away, which was no later than when publishing
    /// started to fail here; `FRESH` after that, none serves any more. (So
    /// only the writes of the first `FRESH` of an outage wait.)
    pub(super) async fn outlast_stale_readers(&self) {
        let since = self.failing_since.load(Ordering::SeqCst);
        let now = self.origin.elapsed().as_millis() as u64 + 1;
        let waited = now.saturating_sub(if since == 0 { now } else { since });
        let left = (FRESH.as_millis() as u64).saturating_sub(waited);
        tokio::time::sleep(Duration::from_millis(left)).await;
    }

    fn waiters_mut(&self) -> std::sync::MutexGuard<'_, HashMap<u64, watch::Sender<usize>>> {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn listen_forever(self: Arc<Self>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let result = self.listen_once().await;
            if let Some(local) = &self.local {
                local.set_live(false);
            }
            match result {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::debug!(error = %e, "cache invalidation bus lost Redis");
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
            tokio::time::sleep(backoff).await;
        }
    }

    async fn listen_once(self: &Arc<Self>) -> Result<(), redis::RedisError> {
        if self.config.is_none() {
            return Ok(());
        }
        // Through the pool's target: after a Sentinel failover the listener
        // reconnects to the new primary.
        let client = self.redis.target().client().await?;
        let mut pubsub = client.get_async_pubsub().await?;
        // The listener publishes its pings and acks on a connection of its
        // own, not through the pool: a saturated pool, or its breaker cooling
        // down, must not silence them. Otherwise the first level turns off
        // under load, every read goes to Redis, the pool saturates further
        // and the pings never get through again (seen: a whole benchmark run
        // served from Redis).
        let publisher = Publisher {
            conn: client.get_multiplexed_async_connection().await?,
            broken: Arc::new(AtomicBool::new(false)),
        };
        let bus_channel = self.bus_channel();
        let ack_channel = self.ack_channel(&self.instance);
        pubsub.subscribe(&[&bus_channel, &ack_channel]).await?;
        if let Some(local) = &self.local {
            local.set_live(true);
        }
        let mut messages = pubsub.on_message();
        let mut ticks = tokio::time::interval(PING_EVERY);
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(message) = message else { return Ok(()) };
                    let Ok(payload) = message.get_payload::<String>() else { continue };
                    if message.get_channel_name() == bus_channel {
                        self.apply(&payload, &publisher);
                    } else {
                        self.hear(&payload);
                    }
                }
                _ = ticks.tick() => {
                    // A dropped publishing connection does not come back by
                    // itself: start over with a new one (and a new
                    // subscription, which flushes the first level).
                    if publisher.broken.load(Ordering::SeqCst) {
                        return Err(std::io::Error::other("bus publishing connection lost").into());
                    }
                    self.ping(&publisher);
                }
            }
        }
    }

    /// Proves the subscription alive to this process' first level.
    fn ping(&self, publisher: &Publisher) {
        let sent = self.local.as_ref().map_or(0, |local| local.now_ms());
        self.publish(
            publisher,
            self.ack_channel(&self.instance),
            format!("ping {sent}"),
        );
    }

    /// Publishes on the listener's connection within the Redis timeout, and
    /// keeps `failing_since` current.
    fn publish(&self, publisher: &Publisher, channel: String, payload: String) {
        let (mut conn, broken) = (publisher.conn.clone(), publisher.broken.clone());
        let timeout = self.redis.timeout();
        let (failing_since, origin) = (self.failing_since.clone(), self.origin);
        tokio::spawn(async move {
            let mut publish = redis::cmd("PUBLISH");
            publish.arg(channel).arg(payload);
            let published =
                tokio::time::timeout(timeout, publish.query_async::<usize>(&mut conn)).await;
            if let Ok(Err(e)) = &published
                && (e.is_io_error() || e.is_connection_dropped())
            {
                broken.store(true, Ordering::SeqCst);
            }
            note(&failing_since, origin, matches!(published, Ok(Ok(_))));
        });
    }

    /// An ack or a ping on this process' own channel.
    fn hear(&self, payload: &str) {
        match payload.split_once(' ') {
            Some(("ack", nonce)) => {
                if let Ok(nonce) = nonce.parse() {
                    self.acknowledge(nonce);
                }
            }
            Some(("ping", sent)) => {
                if let (Some(local), Ok(sent)) = (&self.local, sent.parse()) {
                    local.heard(sent);
                }
            }
            _ => {}
        }
    }

    fn acknowledge(&self, nonce: u64) {
        if let Some(waiter) = self.waiters_mut().get(&nonce) {
            waiter.send_modify(|n| *n += 1);
        }
    }

    /// Drops what a bus message names, then acknowledges it to its sender.
    fn apply(&self, payload: &str, publisher: &Publisher) {
        let mut parts = payload.split(' ');
        let (Some(sender), Some(nonce), Some(scope), Some(names)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        if let Some(local) = &self.local {
            if scope == "*" {
                local.flush();
            } else {
                let namespaces: Option<Vec<Namespace>> = names
                    .split(',')
                    .map(|name| Namespace::ALL.into_iter().find(|ns| ns.as_str() == name))
                    .collect();
                match (Uuid::parse_str(scope), namespaces) {
                    (Ok(scope), Some(namespaces)) => local.drop_scope(&namespaces, scope),
                    // A message this version cannot read: forget everything.
                    _ => local.flush(),
                }
            }
        }
        if sender == self.instance {
            if let Ok(nonce) = nonce.parse() {
                self.acknowledge(nonce);
            }
        } else if sender != "-" {
            self.publish(publisher, self.ack_channel(sender), format!("ack {nonce}"));
        }
    }
}

/// The listener's own connection for its pings and acks; `broken` once it
/// dropped, so the listener starts over.
struct Publisher {
    conn: redis::aio::MultiplexedConnection,
    broken: Arc<AtomicBool>,
}

/// Records whether a publish worked, for `outlast_stale_readers`.
fn note(failing_since: &AtomicU64, origin: Instant, ok: bool) {
    if ok {
        failing_since.store(0, Ordering::SeqCst);
    } else {
        let now = origin.elapsed().as_millis() as u64 + 1;
        let _ = failing_since.compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst);
    }
}
