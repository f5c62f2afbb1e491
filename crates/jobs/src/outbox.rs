//! The domain-event outbox: every event the platform raises is named once in
//! [`EventKind`], with the cache namespaces it makes stale. An event is raised
//! inside the transaction of the change that caused it ([`Raised::new`]: its
//! webhook deliveries are rows of that transaction, so they exist exactly when
//! the change does) and dispatched after the commit ([`Raised::dispatch`]):
//! caches invalidated, deliveries enqueued, the same payload published live.
//!
//! The webhook envelope's `data` and the live event's `data` are one value,
//! so a subscriber and a dashboard can never be told two different things.

use chrono::Utc;
use diesel_async::AsyncPgConnection;
use kv::cache::{Cache, Namespace};
use kv::events::{Event, EventBus};
use serde_json::Value;
use storage::models::{webhook_deliveries, webhooks};
use uuid::Uuid;

use crate::Queues;

/// Every event the platform emits, to webhooks, to WebSockets or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    AgentCreated,
    AgentUpdated,
    AgentDeleted,
    CallCompleted,
    DocumentUploaded,
    DocumentProcessed,
    DocumentFailed,
    /// Sent to one endpoint on request; nobody subscribes to it.
    WebhookTest,
}

impl EventKind {
    /// Subscribable events first, in the order the API has always listed them.
    pub const ALL: [EventKind; 8] = [
        Self::CallCompleted,
        Self::DocumentProcessed,
        Self::DocumentFailed,
        Self::AgentCreated,
        Self::AgentUpdated,
        Self::AgentDeleted,
        Self::DocumentUploaded,
        Self::WebhookTest,
    ];

    /// The name on the wire (`event` of a delivery, `type` of a live event).
    pub const fn name(self) -> &'static str {
        match self {
            Self::AgentCreated => "agent.created",
            Self::AgentUpdated => "agent.updated",
            Self::AgentDeleted => "agent.deleted",
            Self::CallCompleted => "call.completed",
            Self::DocumentUploaded => "document.uploaded",
            Self::DocumentProcessed => "document.processed",
            Self::DocumentFailed => "document.failed",
            Self::WebhookTest => "webhook.test",
        }
    }

    /// The cached answers the change behind this event makes stale.
    pub const fn invalidates(self) -> &'static [Namespace] {
        match self {
            // Agents appear in knowledge-base stats and the analytics overview.
            Self::AgentCreated | Self::AgentUpdated | Self::AgentDeleted => {
                &[Namespace::Agent, Namespace::Kb, Namespace::Analytics]
            }
            // The overview and the call lists' totals miss the call.
            Self::CallCompleted => &[Namespace::Analytics, Namespace::Call],
            // Uploads and new chunks change search answers, stats and the
            // document list.
            Self::DocumentUploaded | Self::DocumentProcessed => {
                &[Namespace::Kb, Namespace::Document]
            }
            Self::DocumentFailed => &[Namespace::Document],
            Self::WebhookTest => &[],
        }
    }

    /// Whether an endpoint may subscribe: `document.uploaded` is live only
    /// (the upload answer already told the caller), `webhook.test` goes to
    /// the one endpoint tested.
    pub const fn subscribable(self) -> bool {
        !matches!(self, Self::DocumentUploaded | Self::WebhookTest)
    }

    /// The names an endpoint may subscribe to, in a stable order.
    pub fn subscribable_names() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .into_iter()
            .filter(|k| k.subscribable())
            .map(Self::name)
    }
}

/// The body of every delivery: `{id, event, organizationId, createdAt,
/// data}`; `id` is shared by every delivery of one event so receivers can
/// deduplicate.
pub fn envelope(kind: EventKind, org: Uuid, data: &Value) -> Value {
    serde_json::json!({
        "id": Uuid::now_v7(),
        "event": kind.name(),
        "organizationId": org,
        "createdAt": Utc::now(),
        "data": data,
    })
}

/// What the after-commit step needs, in the API or the worker.
#[derive(Clone, Copy)]
pub struct Effects<'a> {
    pub queues: &'a Queues,
    pub events: &'a EventBus,
    pub cache: &'a Cache,
}

/// An event raised in a transaction, waiting for its commit.
#[must_use = "dispatch it after the commit"]
#[derive(Debug)]
pub struct Raised {
    kind: EventKind,
    org: Uuid,
    data: Value,
    deliveries: Vec<Uuid>,
}

impl Raised {
    /// Inside the transaction: one `webhook_deliveries` row per active
    /// endpoint of `org` subscribed to `kind`.
    pub async fn new(
        conn: &mut AsyncPgConnection,
        org: Uuid,
        kind: EventKind,
        data: Value,
    ) -> diesel::QueryResult<Self> {
        let subscribers = webhooks::subscribers(conn, org, kind.name()).await?;
        let deliveries = if subscribers.is_empty() {
            Vec::new()
        } else {
            let payload = envelope(kind, org, &data);
            let rows: Vec<webhook_deliveries::NewWebhookDelivery> = subscribers
                .iter()
                .map(|hook| webhook_deliveries::NewWebhookDelivery {
                    organization_id: org,
                    webhook_id: hook.id,
                    event: kind.name().to_owned(),
                    payload: payload.clone(),
                })
                .collect();
            let inserted = webhook_deliveries::insert_batch(conn, &rows).await?;
            inserted.into_iter().map(|d| d.id).collect()
        };
        Ok(Self {
            kind,
            org,
            data,
            deliveries,
        })
    }

    /// An event no webhook hears of (live only, or a replay subscribers
    /// were already told about); needs no transaction.
    pub fn live_only(org: Uuid, kind: EventKind, data: Value) -> Self {
        Self {
            kind,
            org,
            data,
            deliveries: Vec::new(),
        }
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The delivery rows inserted in the transaction.
    pub fn deliveries(&self) -> &[Uuid] {
        &self.deliveries
    }

    /// After the commit (never before: nobody may hear of a change that
    /// rolled back). Invalidates first, so a client that refetches on the
    /// live event reads the new state; `also_stale` joins the event's own
    /// namespaces in one round trip. A lost enqueue is found by the sweeper;
    /// a lost live event only costs a refresh, so neither fails the write.
    pub async fn dispatch(self, fx: Effects<'_>, also_stale: &[Namespace]) {
        let mut stale = self.kind.invalidates().to_vec();
        for ns in also_stale {
            if !stale.contains(ns) {
                stale.push(*ns);
            }
        }
        if !stale.is_empty() {
            fx.cache.invalidate_many(&stale, self.org).await;
        }
        fx.queues.enqueue_webhook_deliveries(&self.deliveries).await;
        fx.events
            .publish_or_log(&Event::new(self.kind.name(), self.org, self.data))
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_is_listed_once_with_a_unique_name() {
        let mut names: Vec<_> = EventKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
    }
}
