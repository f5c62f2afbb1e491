//! The wake-up of an idle worker: whoever learns of new jobs (the pub/sub
//! listener, a retry coming due) rings, and the backend's `poll_next`, parked
//! on an empty queue, fetches again. No polling, no pause/resume dance.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::task::AtomicWaker;

#[derive(Debug, Default)]
pub struct Doorbell {
    rung: AtomicBool,
    waker: AtomicWaker,
}

impl Doorbell {
    pub fn ring(&self) {
        self.rung.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Ready once after each ring (rings in between fold into one).
    pub fn poll_rung(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.waker.register(cx.waker());
        if self.rung.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
