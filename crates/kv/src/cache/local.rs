//! The first-level cache: decoded answers kept in this process' memory in
//! front of Redis, so a repeated read costs no round trip at all.
//!
//! It is only as fresh as the invalidation bus (`bus.rs`) lets it be. It
//! serves only while the bus has proven itself alive recently (this
//! process heard its own ping within `FRESH`); every invalidation it hears
//! drops the organization's entries and bumps an epoch, and a fill that
//! began before an epoch bump is thrown away, so a load that raced a write
//! is never kept. Losing the bus flushes everything.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Namespace;

/// How recently this process must have heard its own ping through the bus
/// for the first level to serve. A writer whose invalidation is not
/// acknowledged waits this long, after which no lagging instance serves.
pub(super) const FRESH: Duration = Duration::from_millis(1500);
/// Longest life of a first-level entry: writes invalidate it sooner, this
/// bounds the memory of answers nobody asks for again.
const MAX_TTL: Duration = Duration::from_secs(60);
/// Organizations-and-namespaces held; the least used go first.
const MAX_SCOPES: u64 = 20_000;
/// Keys per organization and namespace (pages, search queries); past it
/// that scope starts over rather than growing without bound.
const MAX_KEYS_PER_SCOPE: usize = 256;

type Value = Arc<dyn Any + Send + Sync>;

struct Slot {
    value: Value,
    expires: Instant,
}

#[derive(Default)]
struct Scope {
    entries: RwLock<HashMap<Box<str>, Slot>>,
}

pub(super) struct Local {
    scopes: moka::sync::Cache<(Namespace, Uuid), Arc<Scope>>,
    /// Bumped by every invalidation heard; a fill keeps its value only if
    /// the epoch did not move since it began (see `put`).
    epoch: AtomicU64,
    /// Held while bumping the epoch and dropping, and while checking it and
    /// inserting, so the two never interleave.
    writing: Mutex<()>,
    /// Whether the bus is subscribed now.
    live: AtomicBool,
    /// When (ms after `origin`, plus one) the newest ping this process heard
    /// was sent; 0 for none on this subscription.
    heard_ms: AtomicU64,
    origin: Instant,
}

impl Local {
    pub(super) fn new() -> Self {
        Self {
            scopes: moka::sync::Cache::builder()
                .max_capacity(MAX_SCOPES)
                .time_to_idle(MAX_TTL)
                .build(),
            epoch: AtomicU64::new(0),
            writing: Mutex::new(()),
            live: AtomicBool::new(false),
            heard_ms: AtomicU64::new(0),
            origin: Instant::now(),
        }
    }

    /// Milliseconds since this process' origin, for pings.
    pub(super) fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }

    /// Records that a ping sent at `sent_ms` came back through the bus.
    pub(super) fn heard(&self, sent_ms: u64) {
        self.heard_ms.fetch_max(sent_ms + 1, Ordering::SeqCst);
    }

    /// Whether this process heard the bus within `FRESH`.
    pub(super) fn bus_fresh(&self) -> bool {
        let heard = self.heard_ms.load(Ordering::SeqCst);
        self.live.load(Ordering::SeqCst)
            && heard > 0
            && (self.now_ms() + 1).saturating_sub(heard) < FRESH.as_millis() as u64
    }

    /// The bus (re)subscribed or went away: either way nothing held from
    /// before can be trusted, since invalidations may have been missed.
    pub(super) fn set_live(&self, live: bool) {
        self.flush();
        self.live.store(live, Ordering::SeqCst);
        if live {
            // Serving starts with the first ping heard on this subscription.
            self.heard_ms.store(0, Ordering::SeqCst);
        }
    }

    /// The epoch to hand to `put` later, or `None` while the first level
    /// must not be used.
    pub(super) fn snapshot(&self) -> Option<u64> {
        self.bus_fresh().then(|| self.epoch.load(Ordering::SeqCst))
    }

    pub(super) fn get<T: Clone + 'static>(
        &self,
        ns: Namespace,
        scope: Uuid,
        key: &str,
    ) -> Option<T> {
        if !self.bus_fresh() {
            return None;
        }
        let entries = self.scopes.get(&(ns, scope))?;
        let entries = entries
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let slot = entries.get(key).filter(|s| s.expires > Instant::now())?;
        slot.value.downcast_ref::<T>().cloned()
    }

    /// Keeps `value` unless an invalidation was heard since `snapshot`.
    pub(super) fn put<T: Send + Sync + 'static>(
        &self,
        snapshot: u64,
        ns: Namespace,
        scope: Uuid,
        key: &str,
        value: T,
    ) {
        // Holding the epoch lock while inserting: an invalidation either
        // comes first (and the epoch no longer matches) or removes this
        // entry after us.
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if self.epoch.load(Ordering::SeqCst) != snapshot {
            return;
        }
        let entries = self.scopes.get_with((ns, scope), Arc::default);
        let mut entries = entries
            .entries
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_KEYS_PER_SCOPE && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(
            key.into(),
            Slot {
                value: Arc::new(value),
                expires: Instant::now() + ns.ttl().min(MAX_TTL),
            },
        );
    }

    /// Forgets every entry of `scope` in these namespaces.
    pub(super) fn drop_scope(&self, namespaces: &[Namespace], scope: Uuid) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for ns in namespaces {
            self.scopes.invalidate(&(*ns, scope));
        }
    }

    /// Forgets everything.
    pub(super) fn flush(&self) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.scopes.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serving() -> Local {
        let local = Local::new();
        local.set_live(true);
        local.heard(local.now_ms());
        local
    }

    #[test]
    fn serves_only_while_the_bus_is_fresh() {
        let local = Local::new();
        assert_eq!(local.snapshot(), None, "not subscribed yet");
        local.set_live(true);
        assert_eq!(local.snapshot(), None, "no ping heard yet");
        local.heard(local.now_ms());
        let snap = local.snapshot().unwrap();
        local.put(snap, Namespace::Agent, Uuid::nil(), "k", 7u32);
        assert_eq!(
            local.get::<u32>(Namespace::Agent, Uuid::nil(), "k"),
            Some(7)
        );
        local.set_live(false);
        assert_eq!(local.get::<u32>(Namespace::Agent, Uuid::nil(), "k"), None);
    }

    #[test]
    fn a_fill_that_raced_an_invalidation_is_dropped() {
        let local = serving();
        let org = Uuid::new_v4();
        let snap = local.snapshot().unwrap();
        local.drop_scope(&[Namespace::Agent], org);
        local.put(snap, Namespace::Agent, org, "k", 1u32);
        assert_eq!(local.get::<u32>(Namespace::Agent, org, "k"), None);
    }

    #[test]
    fn invalidation_drops_one_scope_only() {
        let local = serving();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let snap = local.snapshot().unwrap();
        local.put(snap, Namespace::Agent, a, "k", 1u32);
        local.put(snap, Namespace::Agent, b, "k", 2u32);
        local.put(snap, Namespace::Kb, a, "k", 3u32);
        local.drop_scope(&[Namespace::Agent], a);
        assert_eq!(local.get::<u32>(Namespace::Agent, a, "k"), None);
        assert_eq!(local.get::<u32>(Namespace::Agent, b, "k"), Some(2));
        assert_eq!(local.get::<u32>(Namespace::Kb, a, "k"), Some(3));
        // A value of another type under the key reads as a miss.
        assert_eq!(local.get::<String>(Namespace::Kb, a, "k"), None);
    }
}
