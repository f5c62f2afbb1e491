//! Invalidation: generation bumps in Redis, then the bus tells every first
//! level; a lost invalidation distrusts the whole cache (a new epoch).

use std::sync::atomic::Ordering;

use uuid::Uuid;

use super::Cache;
use super::Namespace;
use super::bus::Forget;

impl Cache {
    /// Makes every cached entry of `scope` (an organization) in `ns`
    /// unreachable at once: one INCR, whatever the number of keys.
    pub async fn invalidate(&self, ns: Namespace, scope: Uuid) {
        self.invalidate_many(&[ns], scope).await;
    }

    /// `invalidate` of several namespaces in one round trip, then one
    /// message to every first level; returns once they all dropped them.
    pub async fn invalidate_many(&self, namespaces: &[Namespace], scope: Uuid) {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for ns in namespaces {
            let key = self.generation_key(*ns, scope);
            // The counter outlives the entries it guards by a margin, so a
            // generation never goes back to one whose keys still live.
            let ttl = ns.ttl().as_secs() * 2 + 60;
            pipe.incr(&key, 1)
                .ignore()
                .expire(&key, ttl as i64)
                .ignore();
        }
        if let Some(pins) = &self.write_pins {
            pins.add_pin(&mut pipe, scope);
        }
        let result: Result<(), _> = self
            .redis
            .run(|mut conn| async move { pipe.query_async(&mut *conn).await })
            .await;
        if result.is_err() {
            self.distrust_everything();
            if let Some(pins) = &self.write_pins {
                pins.pin_locally();
            }
        }
        self.forget(Forget::Scope(scope, namespaces)).await;
    }

    /// Drops `what` from this process' first level at once, then from every
    /// other one. When the message cannot be sent, nothing tells the others:
    /// the whole cache is distrusted and the caller waits until no first
    /// level can still be serving what it held.
    pub(super) async fn forget(&self, what: Forget<'_>) {
        if let Some(local) = &self.local {
            match what {
                Forget::Scope(scope, namespaces) => local.drop_scope(namespaces, scope),
                Forget::Everything => local.flush(),
            }
        }
        if !self.bus.broadcast(what).await {
            self.epoch_bump_pending.store(true, Ordering::SeqCst);
            self.bus.outlast_stale_readers().await;
        }
    }

    /// An invalidation that did not reach Redis would leave a stale entry
    /// readable once Redis answers again. So the next call that reaches
    /// Redis first moves the global epoch, which is part of every key, and
    /// tells every first level to flush: the whole cache of this deployment
    /// starts empty rather than stale.
    pub(super) fn distrust_everything(&self) {
        self.epoch_bump_pending.store(true, Ordering::SeqCst);
        if let Some(local) = &self.local {
            local.flush();
        }
    }

    /// Settles a pending epoch bump; false while it cannot be settled (then
    /// the cache must not be read).
    pub(super) async fn settle_epoch(&self) -> bool {
        if !self.epoch_bump_pending.load(Ordering::SeqCst) {
            return true;
        }
        let key = self.epoch_key();
        let bumped: Result<i64, _> = self
            .redis
            .run(
                |mut conn| async move { redis::cmd("INCR").arg(key).query_async(&mut *conn).await },
            )
            .await;
        if bumped.is_err() {
            return false;
        }
        self.epoch_bump_pending.store(false, Ordering::SeqCst);
        // Other processes' first levels may hold what the lost invalidation
        // meant to drop.
        if !self.bus.broadcast(Forget::Everything).await {
            self.epoch_bump_pending.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }
}
