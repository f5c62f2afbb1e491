//! A cloneable Redis connection that follows the primary: the queues'
//! connection (apalis-redis takes one `ConnectionLike` and clones it into
//! every worker). redis-rs' `ConnectionManager` reconnects to the address it
//! started with, which after a Sentinel failover is a dead or demoted node;
//! this one opens its replacement through `RedisTarget`, so it asks the
//! sentinels for the new primary.

use std::sync::Arc;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};

use crate::redis_target::{RedisTarget, needs_new_connection};

#[derive(Clone)]
pub struct FollowingConnection {
    target: RedisTarget,
    current: Arc<tokio::sync::Mutex<Option<MultiplexedConnection>>>,
    db: i64,
}

impl FollowingConnection {
    /// Connects once now (so a caller can wait for Redis to come up), then
    /// reconnects on demand after the connection failed.
    pub async fn connect(target: RedisTarget) -> RedisResult<Self> {
        let first = target.connect().await?;
        let db = first.get_db();
        Ok(Self {
            target,
            current: Arc::new(tokio::sync::Mutex::new(Some(first))),
            db,
        })
    }

    /// The live connection, or a new one to the current primary. The lock
    /// makes concurrent callers after a failure share one reconnect.
    async fn live(&self) -> RedisResult<MultiplexedConnection> {
        let mut current = self.current.lock().await;
        if let Some(conn) = current.as_ref() {
            return Ok(conn.clone());
        }
        let conn = self.target.connect().await?;
        *current = Some(conn.clone());
        Ok(conn)
    }

    /// Drops the shared connection after `result` showed it unusable; the
    /// caller's command fails, the next one reconnects.
    async fn note<T>(&self, result: RedisResult<T>) -> RedisResult<T> {
        if let Err(e) = &result
            && needs_new_connection(e)
        {
            *self.current.lock().await = None;
        }
        result
    }
}

impl ConnectionLike for FollowingConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let result = match self.live().await {
                Ok(mut conn) => conn.req_packed_command(cmd).await,
                Err(e) => Err(e),
            };
            self.note(result).await
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let result = match self.live().await {
                Ok(mut conn) => conn.req_packed_commands(pipeline, offset, count).await,
                Err(e) => Err(e),
            };
            self.note(result).await
        })
    }

    fn get_db(&self) -> i64 {
        self.db
    }
}
