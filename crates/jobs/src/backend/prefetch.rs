//! How many jobs one fetch takes. Fetching only as many as there are free
//! slots costs two round trips (fetch, acknowledge) per handful of jobs, so
//! fast jobs wait on the network; fetching many hoards slow jobs away from
//! other workers. So the batch adapts: it doubles while a full batch is
//! worked off in under `FAST` (the jobs are cheap, the round trips are the
//! cost) and halves when one takes over `SLOW`, between the queue's
//! concurrency and `max`. A hoard is thus never more than about `FAST`
//! worth of work, and jobs still buffered when a worker dies are recovered
//! with the rest of its inflight set.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FAST: Duration = Duration::from_millis(20);
const SLOW: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct Prefetch(Arc<Mutex<State>>);

#[derive(Debug)]
struct State {
    min: usize,
    max: usize,
    current: usize,
    /// When the last fetch happened and whether it came back full.
    last: Option<(Instant, bool)>,
}

impl Prefetch {
    pub fn new(min: usize, max: usize) -> Self {
        let min = min.max(1);
        Self(Arc::new(Mutex::new(State {
            min,
            max: max.max(min),
            current: min,
            last: None,
        })))
    }

    /// The size of the fetch about to happen.
    pub fn next(&self) -> usize {
        let Ok(mut s) = self.0.lock() else {
            return 1;
        };
        if let Some((at, full)) = s.last {
            let took = at.elapsed();
            if full && took < FAST {
                s.current = (s.current * 2).min(s.max);
            } else if took > SLOW {
                s.current = (s.current / 2).max(s.min);
            }
        }
        s.current
    }

    /// What the fetch of `asked` jobs returned.
    pub fn fetched(&self, asked: usize, got: usize) {
        if let Ok(mut s) = self.0.lock() {
            s.last = Some((Instant::now(), got >= asked));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_on_fast_full_batches_and_stays_in_bounds() {
        let p = Prefetch::new(8, 100);
        assert_eq!(p.next(), 8);
        p.fetched(8, 8);
        assert_eq!(p.next(), 16);
        p.fetched(16, 3); // the queue ran dry: no growth
        assert_eq!(p.next(), 16);
        for _ in 0..10 {
            let n = p.next();
            p.fetched(n, n);
        }
        assert_eq!(p.next(), 100);
    }
}
