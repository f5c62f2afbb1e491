//! Key names of the controls: the per-queue ones (`paused`, the per-minute
//! counters) are `QueueKeys` methods in `backend::keys` with the rest of the
//! queue layout; the deployment-wide ones (worker presence, console
//! sessions, operator audit) are `ConsoleKeys` here.

/// Seconds the per-minute counters live: the console shows the last hour.
pub const MINUTE_TTL_SECS: u64 = 2 * 60 * 60;

/// `unix seconds / 60`: the bucket of the per-minute counters.
pub fn minute_of(unix_secs: u64) -> u64 {
    unix_secs / 60
}

/// Deployment-wide keys of the console and the worker registry.
#[derive(Debug, Clone)]
pub struct ConsoleKeys {
    prefix: String,
}

impl ConsoleKeys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// String (JSON `WorkerPresence`) with a TTL: present while the process lives.
    pub fn presence(&self, worker: &str) -> String {
        format!("{}:presence:{worker}", self.prefix)
    }

    /// The last record of a process, kept after its live record expired.
    pub fn presence_last(&self, worker: &str) -> String {
        format!("{}:presence-last:{worker}", self.prefix)
    }

    /// Sorted set worker name -> last heartbeat (unix seconds); names whose
    /// presence key expired are the ones that died recently.
    pub fn presence_index(&self) -> String {
        format!("{}:presence", self.prefix)
    }

    /// Hash of one console session (keyed by the digest of its cookie).
    pub fn session(&self, digest: &str) -> String {
        format!("{}:console:session:{digest}", self.prefix)
    }

    /// Stream of operator actions (who, when, what), capped.
    pub fn audit(&self) -> String {
        format!("{}:console:audit", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Queue;

    #[test]
    fn control_keys_sit_under_the_queue_and_the_prefix() {
        let keys = Queue::Email.keys("esx");
        assert_eq!(keys.paused(), "esx:email:paused");
        assert_eq!(keys.minute(29_000_000), "esx:email:minute:29000000");
        assert_eq!(minute_of(125), 2);
        let console = ConsoleKeys::new("esx");
        assert_eq!(console.presence("w-1"), "esx:presence:w-1");
        assert_eq!(console.presence_index(), "esx:presence");
        assert_eq!(console.session("ab"), "esx:console:session:ab");
        assert_eq!(console.audit(), "esx:console:audit");
    }
}
