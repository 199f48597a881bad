//! Latches: one-shot "this job is done" flags that a waiting thread can
//! sleep on.
//!
//! [`CoreLatch`] is the lock-free word behind a pool thread waiting for the
//! other half of a `join`: the thread keeps running other work while the
//! latch is unset and parks only after announcing it (`SLEEPING`), so the
//! thread that sets the latch knows whether it must unpark it. A thread
//! outside the pool waits on a [`ThreadLatch`] instead.
//!
//! Lock-free, so it imports its atomics from `crate::loom`; the `loom_`
//! models below check that a set racing a thread going to sleep is never
//! lost. Calls nothing else in deli.

use crate::loom::sync::atomic::{AtomicBool, AtomicU8, Ordering};

#[cfg(loom)]
use loom::thread::{self, Thread};
#[cfg(not(loom))]
use std::thread::{self, Thread};

const UNSET: u8 = 0;
const SLEEPING: u8 = 1;
const SET: u8 = 2;

/// The state of a latch owned by a pool thread: unset, its owner asleep on
/// it, or set (final).
#[derive(Debug)]
pub(super) struct CoreLatch {
    state: AtomicU8,
}

impl CoreLatch {
    pub(super) fn new() -> CoreLatch {
        CoreLatch {
            state: AtomicU8::new(UNSET),
        }
    }

    /// Whether the latch is set. `Acquire`: what the setter wrote before
    /// setting (the job's result) is visible after a `true`.
    pub(super) fn probe(&self) -> bool {
        self.state.load(Ordering::Acquire) == SET
    }

    /// The owner is about to park: returns false (do not park) when the
    /// latch is already set.
    pub(super) fn get_sleepy(&self) -> bool {
        self.state
            .compare_exchange(UNSET, SLEEPING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// The owner woke up; unless the latch was set meanwhile, it is awake
    /// (unset) again.
    pub(super) fn wake_up(&self) {
        let _ = self
            .state
            .compare_exchange(SLEEPING, UNSET, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Sets the latch; returns whether its owner was asleep on it (and so
    /// must be unparked by the caller). `Release` publishes the result
    /// written before. The caller must not touch the latch after this: its
    /// owner may free it at once.
    pub(super) fn set(&self) -> bool {
        self.state.swap(SET, Ordering::AcqRel) == SLEEPING
    }
}

/// A latch for a thread outside the pool: it parks until the latch is set.
#[derive(Debug)]
pub(super) struct ThreadLatch {
    set: AtomicBool,
    waiter: Thread,
}

impl ThreadLatch {
    /// A latch the calling thread will wait on.
    pub(super) fn for_current_thread() -> ThreadLatch {
        ThreadLatch {
            set: AtomicBool::new(false),
            waiter: thread::current(),
        }
    }

    /// Sets the latch and unparks its waiter.
    ///
    /// # Safety
    ///
    /// `this` must point to a live latch; it may be freed by its waiter as
    /// soon as the flag is stored, so nothing reads it after that.
    pub(super) unsafe fn set(this: *const ThreadLatch) {
        // SAFETY: the caller guarantees `this` is live until the store
        // below; the waiter handle is cloned out first so that the unpark
        // touches only our own copy.
        let waiter = unsafe { (*this).waiter.clone() };
        // SAFETY: as above; this store is the last access to `*this`.
        unsafe { (*this).set.store(true, Ordering::Release) };
        waiter.unpark();
    }

    /// Parks the calling thread (which must be the one that made the latch)
    /// until the latch is set.
    pub(super) fn wait(&self) {
        while !self.set.load(Ordering::Acquire) {
            thread::park();
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// The owner's "park only if still unset" and the setter's "unpark only
    /// if the owner said it sleeps" never lose a wake-up: loom reports a
    /// deadlock if the owner parks forever.
    #[test]
    fn loom_core_latch_set_racing_sleep_is_never_lost() {
        loom::model(|| {
            let latch = Arc::new(CoreLatch::new());
            let owner = thread::current();
            let setter = {
                let latch = latch.clone();
                thread::spawn(move || {
                    if latch.set() {
                        owner.unpark();
                    }
                })
            };
            while !latch.probe() {
                if latch.get_sleepy() {
                    thread::park();
                    latch.wake_up();
                }
            }
            setter.join().unwrap();
            assert!(latch.probe());
        });
    }

    /// A thread latch set from another thread always releases its waiter.
    #[test]
    fn loom_thread_latch_releases_its_waiter() {
        loom::model(|| {
            let latch = Arc::new(ThreadLatch::for_current_thread());
            let setter = {
                let latch = latch.clone();
                // SAFETY: the Arc keeps the latch alive for the call.
                thread::spawn(move || unsafe { ThreadLatch::set(&*latch) })
            };
            latch.wait();
            setter.join().unwrap();
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn core_latch_is_final_once_set() {
        let latch = CoreLatch::new();
        assert!(!latch.probe());
        assert!(latch.get_sleepy());
        assert!(latch.set(), "the owner was asleep");
        assert!(latch.probe());
        assert!(!latch.get_sleepy());
        latch.wake_up();
        assert!(latch.probe());
    }
}
