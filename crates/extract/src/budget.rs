//! The running budget of one extraction: output bytes left and the deadline, charged by readers
//! as they write, so a hostile file stops at the limit instead of growing without bound.

use std::time::Instant;

use crate::{ExtractError, Limits};

/// Charged by the readers whose output can outgrow their input (a CSV repeats its header on every
/// row, JSON repeats full key paths, a PDF inflates), and checked once per page for all of them.
#[derive(Debug)]
pub(crate) struct Budget {
    limits: Limits,
    written: u64,
    started: Instant,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            limits: *limits,
            written: 0,
            started: Instant::now(),
        }
    }

    /// Records `bytes` more of output; fails once the total passes the output limit or the
    /// extraction has run past its time limit (checked here too: every long loop writes).
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), ExtractError> {
        self.written = self.written.saturating_add(bytes as u64);
        if self.written > self.limits.max_output_bytes {
            return Err(ExtractError::OutputTooLarge {
                limit_bytes: self.limits.max_output_bytes,
            });
        }
        self.check_time()
    }

    /// Fails once the extraction has run longer than its time limit.
    pub(crate) fn check_time(&self) -> Result<(), ExtractError> {
        if self.started.elapsed() > self.limits.max_duration {
            return Err(ExtractError::TimedOut {
                limit_secs: self.limits.max_duration.as_secs(),
            });
        }
        Ok(())
    }

    /// Fails when a document has more pages than the page limit.
    pub(crate) fn check_pages(&self, pages: usize) -> Result<(), ExtractError> {
        let limit = self.limits.max_pages;
        if pages as u64 > u64::from(limit) {
            return Err(ExtractError::TooManyPages { limit });
        }
        Ok(())
    }

    pub(crate) fn max_unpacked_bytes(&self) -> u64 {
        self.limits.max_unpacked_bytes
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Budget;
    use crate::{ExtractError, Limits};

    #[test]
    fn output_time_and_page_limits() {
        let limits = Limits {
            max_output_bytes: 10,
            max_pages: 2,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        assert_eq!(budget.charge(10), Ok(()));
        assert_eq!(
            budget.charge(1),
            Err(ExtractError::OutputTooLarge { limit_bytes: 10 })
        );
        assert_eq!(budget.check_pages(2), Ok(()));
        assert_eq!(
            budget.check_pages(3),
            Err(ExtractError::TooManyPages { limit: 2 })
        );
        let expired = Budget::new(&Limits {
            max_duration: Duration::ZERO,
            ..Limits::default()
        });
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            expired.check_time(),
            Err(ExtractError::TimedOut { limit_secs: 0 })
        );
    }
}
