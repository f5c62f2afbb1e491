//! The primary pool split into one bb8 pool per HTTP worker thread.
//!
//! diesel-async drives each connection from a task spawned on the runtime
//! that opened it, and bb8 opens connections on the runtime of the caller
//! that found the pool short. actix-web runs one single-threaded runtime per
//! worker, so with one shared pool a worker mostly queries through
//! connections another worker's thread drives: every query then crosses
//! threads twice (the request wakes the driver there, the rows wake the
//! handler back), each crossing an eventfd write and an `epoll_wait` return.
//! On the call-log page that was about a fifth of the API's CPU.
//!
//! Here each worker thread binds itself to a shard (`bind_current_thread`,
//! called by the app factory that actix runs once on every worker) and only
//! ever checks out that shard's connections, which the same thread opened
//! and drives. A shard's pool is built on its first checkout, on its own
//! thread, so even the warm `min_idle` connections are opened there. The
//! `max` and `min_idle` settings are divided among the shards, so the
//! process never holds more connections than `DATABASE_MAX_CONNECTIONS`.
//! Threads that bound no shard (the main runtime, tests, the worker binary
//! with its multi-threaded runtime) use shard 0, which is exactly the one
//! shared pool of before when there is a single shard.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use secrecy::{ExposeSecret, SecretString};

use settings::DatabaseConfig;

use crate::db::{PgPool, build_pool};

thread_local! {
    /// The shard this thread checks out from; `usize::MAX` until bound.
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

pub(crate) struct ThreadPools {
    shards: Box<[OnceLock<PgPool>]>,
    next_shard: AtomicUsize,
    url: SecretString,
    /// The settings of one shard: the process-wide figures divided.
    shard_config: DatabaseConfig,
}

impl ThreadPools {
    /// `shards` pools sharing `config`'s connection budget; with one shard,
    /// it is built at once, so the process starts like a plain bb8 pool.
    pub(crate) fn new(config: &DatabaseConfig, shards: usize) -> Self {
        let count = shards.clamp(1, config.max_connections.max(1) as usize);
        let mut shard_config = config.clone();
        // Rounded down: the shards together never exceed the budget.
        shard_config.max_connections = config.max_connections / count as u32;
        shard_config.min_idle = config
            .min_idle
            .div_ceil(count as u32)
            .min(shard_config.max_connections);
        let pools = Self {
            shards: (0..count).map(|_| OnceLock::new()).collect(),
            next_shard: AtomicUsize::new(0),
            url: config.url.clone(),
            shard_config,
        };
        if count == 1 {
            pools.shard(0);
        }
        pools
    }

    /// Binds the calling thread to the next shard, round robin.
    pub(crate) fn bind_current_thread(&self) {
        let shard = self.next_shard.fetch_add(1, Ordering::Relaxed) % self.shards.len();
        SHARD.with(|bound| bound.set(shard));
    }

    /// The pool of the calling thread's shard, built on first use.
    pub(crate) fn current(&self) -> &PgPool {
        let bound = SHARD.with(Cell::get);
        let index = if bound < self.shards.len() { bound } else { 0 };
        self.shard(index)
    }

    fn shard(&self, index: usize) -> &PgPool {
        self.shards[index].get_or_init(|| build_pool(self.url.expose_secret(), &self.shard_config))
    }

    /// The pools built so far (a shard no thread has used holds nothing).
    pub(crate) fn built(&self) -> impl Iterator<Item = &PgPool> {
        self.shards.iter().filter_map(OnceLock::get)
    }

    /// The process-wide connection budget.
    pub(crate) fn max_connections(&self) -> u32 {
        self.shard_config.max_connections * self.shards.len() as u32
    }
}
