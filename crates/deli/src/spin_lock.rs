//! A lock for critical sections of a few dozen instructions that are
//! taken on every spawn and every completion: the shards of the task
//! registry (`task::OwnedTasks`). A leaf (std, `crate::loom`).
//!
//! `std::sync::Mutex` pays two locked instructions per lock and unlock
//! (a compare-and-swap in, a swap out: the swap tells whether someone
//! sleeps on the lock). This lock pays one: nobody sleeps on it, so
//! unlocking is a plain release store. That was one of the instructions
//! that made a deli task cost more than a tokio one
//! (`scheduler/ping_pong-ct`, `chained_spawn-ct`: two per task).
//!
//! A waiter spins briefly, then yields its time slice between attempts, so
//! a holder that was preempted gets the core back. Not for long sections:
//! a waiter burns its slices until the holder is done.

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, Ordering};

/// Spins (with the CPU's spin hint) this many times before yielding.
#[cfg(not(loom))]
const SPINS_BEFORE_YIELD: u32 = 64;

/// Mutual exclusion over a `T`, for short sections (see the module doc).
#[derive(Debug)]
pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `value` to one thread at a time
// (`locked` is taken with acquire and released with release ordering, so
// each section sees the previous one's writes); a `T` that may move
// between threads may thus be shared through it, as with `Mutex`.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: owning the lock is owning the `T`.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> SpinLock<T> {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` with the value, holding the lock. A panic in `f` releases
    /// the lock (there is no poisoning; callers keep the value consistent
    /// at every point a panic can leave it).
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.acquire();
        let _release = Release(&self.locked);
        // SAFETY: the lock is held until `_release` drops, after `f`
        // returns or unwinds: no other reference to the value exists
        // meanwhile (`acquire` spun until it alone flipped `locked`).
        self.value.with_mut(|value| f(unsafe { &mut *value }))
    }

    #[inline]
    fn acquire(&self) {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.acquire_contended();
        }
    }

    #[cold]
    fn acquire_contended(&self) {
        let mut spins = 0;
        loop {
            // Wait with plain loads (no cache line ping-pong), then try.
            while self.locked.load(Ordering::Relaxed) {
                pause(&mut spins);
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// One round of waiting: the spin hint, then (after a while) a yield.
fn pause(spins: &mut u32) {
    #[cfg(loom)]
    {
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        if *spins < SPINS_BEFORE_YIELD {
            *spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// Unlocks when dropped, on return or unwind.
struct Release<'a>(&'a AtomicBool);

impl Drop for Release<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn sections_exclude_each_other_and_a_panic_releases() {
        let lock = Arc::new(SpinLock::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let lock = lock.clone();
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        lock.with(|n| {
                            // A read-modify-write that a second holder
                            // would interleave with and lose counts.
                            let seen = *n;
                            std::hint::black_box(seen);
                            *n = seen + 1;
                        });
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(lock.with(|n| *n), 40_000);

        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lock.with(|_| panic!("x"))));
        assert!(panicked.is_err());
        assert_eq!(lock.with(|n| *n), 40_000);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// Two sections never overlap (loom's cell checks every access), and
    /// each sees the other's writes.
    #[test]
    fn loom_spin_lock_excludes() {
        loom::model(|| {
            let lock = Arc::new(SpinLock::new(0u32));
            let other = {
                let lock = lock.clone();
                thread::spawn(move || lock.with(|n| *n += 1))
            };
            lock.with(|n| *n += 1);
            other.join().unwrap();
            assert_eq!(lock.with(|n| *n), 2);
        });
    }
}
