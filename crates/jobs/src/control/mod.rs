//! Operator controls and the facts the console reads, beside the job engine:
//! the key names they share with it (pause flag, per-minute counters, worker
//! presence, console sessions, the operator audit stream), pausing queues,
//! listing and discarding jobs, per-minute throughput and the worker registry.

pub mod audit;
pub mod discard;
pub mod inspect;
pub mod keys;
pub mod lookup;
pub mod pause;
pub mod presence;
pub mod rows;
pub mod throughput;

pub use audit::AuditEntry;
pub use inspect::{JobList, JobSet, JobView};
pub use keys::{ConsoleKeys, minute_of};
pub use pause::ENGINE_HONOURS_PAUSE;
pub use presence::{WorkerPresence, WorkerQueue, Workers};
pub use throughput::{MinuteCount, record_outcome};
