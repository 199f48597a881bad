//! [`WakeBatch`]: wakers taken out from under a lock and woken once it is
//! released, so a woken task never finds the lock still held, at most
//! [`WakeBatch::CAPACITY`] at a time so the lock is let go now and then.
//!
//! Held inline in a `SmallVec`, whose buffer is not initialised up front:
//! a zeroed array of 32 wakers cost every contended release of
//! `sync`'s permit pool a 512-byte fill (`deli-bench -- sync`,
//! semaphore-mt). A leaf, like `coop`: `time` and `sync` use it; it uses
//! `smallvec` only.

use std::task::Waker;

use smallvec::SmallVec;

/// Up to [`CAPACITY`](WakeBatch::CAPACITY) wakers to wake later.
#[derive(Debug, Default)]
pub(crate) struct WakeBatch {
    wakers: SmallVec<[Waker; WakeBatch::CAPACITY]>,
}

impl WakeBatch {
    pub(crate) const CAPACITY: usize = 32;

    pub(crate) fn new() -> WakeBatch {
        WakeBatch::default()
    }

    /// Whether no other waker fits: the owner lets its lock go, wakes the
    /// batch, and carries on.
    pub(crate) fn is_full(&self) -> bool {
        self.wakers.len() >= Self::CAPACITY
    }

    /// Adds `waker`; wakes it at once if the batch is full (a caller that
    /// checks [`is_full`](Self::is_full) never gets there).
    pub(crate) fn push(&mut self, waker: Waker) {
        if self.is_full() {
            waker.wake();
        } else {
            self.wakers.push(waker);
        }
    }

    /// Wakes and empties the batch; returns how many were woken.
    pub(crate) fn wake_all(&mut self) -> usize {
        let woken = self.wakers.len();
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
        woken
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wakes_everything_it_holds_and_empties() {
        let mut batch = WakeBatch::new();
        for _ in 0..WakeBatch::CAPACITY {
            assert!(!batch.is_full());
            batch.push(Waker::noop().clone());
        }
        assert!(batch.is_full());
        assert_eq!(batch.wake_all(), WakeBatch::CAPACITY);
        assert!(!batch.is_full());
        assert_eq!(batch.wake_all(), 0);
    }
}
