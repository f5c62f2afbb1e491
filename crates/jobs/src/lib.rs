//! Background jobs shared by the API (producer) and the worker (consumer):
//! queue names and Redis keys, payload types, the apalis-redis storages, the
//! enqueue helpers, queue statistics, operator retries and the domain-event outbox
//! (`outbox`).
//!
//! The Postgres row (documents, email_outbox, webhook_deliveries) is the
//! source of truth; a Redis job carries only the row id. An enqueue that
//! fails (Redis down) is logged and counted, and the worker's sweeper
//! enqueues the row later.

pub mod admin;
pub mod backend;
pub mod control;
pub mod outbox;
pub mod payload;
pub mod policy;
pub mod queue;
pub mod queues;
pub mod stats;

pub use outbox::{EventKind, Raised};
pub use payload::{AnalyticsJob, DocumentJob, EmailJob, Job, SweepJob, WebhookJob};
pub use policy::RetryPolicy;
pub use queue::{Queue, QueueKeys};
pub use queues::{JobsError, Queues};
pub use stats::QueueStats;
