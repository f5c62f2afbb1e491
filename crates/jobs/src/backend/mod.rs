//! Our apalis backend: apalis-redis' key layout and decoder, our own Lua
//! scripts. Everything that knows that layout lives in this module.
//!
//! Why not `apalis_redis::RedisStorage` as is: with `lock_tasks` on (its
//! default) it runs `LREM` over the whole `active` list for every job it
//! locks, so the cost per job grows with the backlog (2k jobs/s at 100k
//! waiting); with it off, nothing marks a fetched job Running. Its fetch
//! promotes every due retry with one Lua `unpack` (fails beyond about 8,000
//! ids), a stale acknowledgement stops the worker, and it retries on its
//! own fixed schedule. Here the fetch takes a batch from the head and marks
//! it in one O(batch) step, acknowledgements are batched and tolerate stale
//! ids, retries follow the queue's policy, and an idle worker sleeps on a
//! doorbell instead of being paused and resumed.

mod doorbell;
mod keys;
mod plans;
mod prefetch;
mod scripts;
mod store;

use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context, Poll};

use apalis_codec::json::JsonCodec;
use apalis_core::backend::finalize::Durable;
use apalis_core::backend::persistence::{Persisted, State, TaskPersistLayer};
use apalis_core::backend::{Backend, BackendConfig, WireFormatBackend};
use apalis_core::task::Task;
use apalis_core::worker::context::WorkerContext;
use futures::FutureExt;
use redis::aio::ConnectionLike;
use serde_json::Value;
use ulid::Ulid;

pub use doorbell::Doorbell;
pub use keys::{QueueKeys, epoch_key};
pub use plans::{Plan, Plans};
use prefetch::Prefetch;
pub use store::{QueueConfig, QueueStore};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("encoding a job result: {0}")]
    Encode(serde_json::Error),
}

/// The apalis backend of one queue for one worker.
pub struct JobBackend<Args, C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    persist: Persisted<QueueStore<C>>,
    doorbell: Arc<Doorbell>,
    backstop: tokio::time::Interval,
    /// A ring arrived while a fetch was in flight: fetch once more after it.
    rung_during_fetch: bool,
    cleanup: Option<futures::future::BoxFuture<'static, Result<(), BackendError>>>,
    codec: JsonCodec<Vec<u8>>,
    _args: PhantomData<fn() -> Args>,
}

impl<Args, C> std::fmt::Debug for JobBackend<Args, C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobBackend").finish_non_exhaustive()
    }
}

impl<Args, C> JobBackend<Args, C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    pub fn new(
        conn: C,
        keys: QueueKeys,
        config: QueueConfig,
        plans: Plans,
        doorbell: Arc<Doorbell>,
    ) -> Self {
        let mut backstop = tokio::time::interval(
            config
                .poll_interval
                .max(std::time::Duration::from_millis(10)),
        );
        backstop.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self {
            persist: Persisted::new(QueueStore {
                conn,
                keys,
                prefetch: Prefetch::new(config.batch_size, config.prefetch_max),
                config,
                plans,
            }),
            doorbell,
            backstop,
            rung_during_fetch: false,
            cleanup: None,
            codec: JsonCodec::default(),
            _args: PhantomData,
        }
    }
}

impl<Args, C> Backend for JobBackend<Args, C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    type Task = Task<Vec<u8>>;
    type Error = BackendError;

    fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), BackendError>> {
        let heartbeat = self.persist.config.heartbeat;
        self.persist.poll_ready(cx, worker, heartbeat)
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Option<Result<Task<Vec<u8>>, BackendError>>> {
        loop {
            let polled = self.persist.poll_next(cx, worker);
            if polled.is_ready() {
                return polled;
            }
            let fetching = matches!(self.persist.state(), State::Fetch(_));
            let rung =
                self.doorbell.poll_rung(cx).is_ready() | self.backstop.poll_tick(cx).is_ready();
            if fetching {
                // The fetch in flight may have missed what the ring announced.
                self.rung_during_fetch |= rung;
                return Poll::Pending;
            }
            // Parked on an empty queue: fetch again when told to.
            if !(rung || std::mem::take(&mut self.rung_during_fetch)) {
                return Poll::Pending;
            }
        }
    }

    fn poll_close(
        &mut self,
        cx: &mut Context<'_>,
        worker: &WorkerContext,
    ) -> Poll<Result<(), BackendError>> {
        if self.cleanup.is_none() {
            std::task::ready!(self.persist.poll_close(cx, worker))?;
            let mut conn = self.persist.conn.clone();
            let keys = self.persist.keys.clone();
            let name = worker.name().to_owned();
            self.cleanup = Some(
                async move {
                    scripts::CLOSE
                        .key(keys.workers())
                        .key(keys.inflight(&name))
                        .arg(&name)
                        .invoke_async::<u64>(&mut conn)
                        .await?;
                    Ok(())
                }
                .boxed(),
            );
        }
        self.cleanup
            .as_mut()
            .map_or(Poll::Ready(Ok(())), |c| c.poll_unpin(cx))
    }
}

impl<Args, C> BackendConfig for JobBackend<Args, C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    type Args = Args;
    type Id = Ulid;
    type Kind = Durable;
    type Config = QueueConfig;
    type Layer = TaskPersistLayer<JsonCodec<Value>, Value>;

    fn config(&self) -> &QueueConfig {
        &self.persist.config
    }

    fn middleware(&mut self, _worker: &mut WorkerContext) -> Self::Layer {
        let batch = self.persist.config.prefetch_max.max(1);
        // The fetch marks jobs Running itself: no separate lock round trip.
        self.persist
            .layer(JsonCodec::<Value>::default(), batch)
            .persist_results(true)
            .lock_tasks(false)
    }
}

impl<Args, C> WireFormatBackend for JobBackend<Args, C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    type Codec = JsonCodec<Vec<u8>>;
    type Compact = Vec<u8>;

    fn codec(&self) -> &Self::Codec {
        &self.codec
    }
}

/// The keys of the push script, in its order.
pub(crate) fn push_keys(invocation: &mut redis::ScriptInvocation<'_>, keys: &QueueKeys) {
    invocation
        .key(keys.data())
        .key(keys.active())
        .key(keys.scheduled())
        .key(keys.meta_prefix())
        .key(keys.wake_channel())
        .key(keys.done())
        .key(keys.dead());
}

/// The push script, for `Queues::push`.
pub(crate) fn push_script() -> &'static redis::Script {
    &scripts::PUSH
}
