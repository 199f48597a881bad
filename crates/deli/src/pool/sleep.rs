//! How idle pool threads sleep and how new work wakes one of them.
//!
//! A thread with nothing to do registers itself as a sleeper, then looks
//! for work once more, then parks. A thread that makes work (a `join` half
//! pushed, a job submitted) publishes it first and then looks for a
//! sleeper to unpark. Both sides put a `SeqCst` fence between their write
//! and their read (Dekker's pattern), so at least one of them sees the
//! other: either the sleeper finds the work, or the maker finds the
//! sleeper. Parking uses the thread's own park token, so an unpark that
//! lands before the park is not lost.
//!
//! When nobody sleeps, making work costs a fence and one load. Lock-free in
//! that path, so it uses `crate::loom` types; the `loom_` model checks that
//! a sleeper never misses work. Calls nothing else in deli.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use crate::poison::IgnorePoison;

#[cfg(loom)]
use loom::sync::atomic::fence;
#[cfg(loom)]
use loom::thread::{self, Thread};
#[cfg(not(loom))]
use std::sync::atomic::fence;
#[cfg(not(loom))]
use std::thread::{self, Thread};

/// The sleepers of one pool.
#[derive(Debug)]
pub(super) struct Sleep {
    /// How many threads are registered in `sleepers`; read without the
    /// lock by threads that make work.
    count: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    /// Each pool thread's handle, by index, registered when it starts.
    threads: Mutex<Vec<Option<Thread>>>,
}

impl Sleep {
    pub(super) fn new(threads: usize) -> Sleep {
        Sleep {
            count: AtomicUsize::new(0),
            sleepers: Mutex::new(Vec::with_capacity(threads)),
            threads: Mutex::new((0..threads).map(|_| None).collect()),
        }
    }

    /// Records the calling thread as pool thread `index`.
    pub(super) fn register_current(&self, index: usize) {
        let mut threads = lock(&self.threads);
        if let Some(slot) = threads.get_mut(index) {
            *slot = Some(thread::current());
        }
    }

    /// New work was published: wake one sleeper, if any.
    pub(super) fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let woken = {
            let mut sleepers = lock(&self.sleepers);
            let woken = sleepers.pop();
            self.count.store(sleepers.len(), Ordering::Relaxed);
            woken
        };
        if let Some(index) = woken {
            self.unpark(index);
        }
    }

    /// Wakes every sleeper (shutdown).
    pub(super) fn notify_all(&self) {
        fence(Ordering::SeqCst);
        let woken = {
            let mut sleepers = lock(&self.sleepers);
            self.count.store(0, Ordering::Relaxed);
            std::mem::take(&mut *sleepers)
        };
        for index in woken {
            self.unpark(index);
        }
    }

    /// Unparks pool thread `index` (for a latch it sleeps on).
    pub(super) fn unpark(&self, index: usize) {
        let thread = lock(&self.threads).get(index).cloned().flatten();
        if let Some(thread) = thread {
            thread.unpark();
        }
    }

    /// Parks pool thread `index` (the caller) unless `has_work` finds
    /// something after it registered as a sleeper, or `may_park` refuses
    /// (a latch already set). Returns after a wake-up, which may be
    /// spurious: the caller looks for work again either way.
    pub(super) fn sleep(
        &self,
        index: usize,
        has_work: impl FnOnce() -> bool,
        may_park: impl FnOnce() -> bool,
    ) {
        {
            let mut sleepers = lock(&self.sleepers);
            sleepers.push(index);
            self.count.store(sleepers.len(), Ordering::Relaxed);
        }
        fence(Ordering::SeqCst);
        if !has_work() && may_park() {
            thread::park();
        }
        let mut sleepers = lock(&self.sleepers);
        if let Some(position) = sleepers.iter().position(|&sleeper| sleeper == index) {
            sleepers.swap_remove(position);
            self.count.store(sleepers.len(), Ordering::Relaxed);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    mutex.lock().ignore_poison()
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom::sync::atomic::AtomicBool;
    use crate::loom::sync::Arc;

    /// Work published while a thread goes to sleep is always found: either
    /// the sleeper sees it before parking or the maker unparks the sleeper.
    /// A lost wake-up would leave the sleeper parked forever, which loom
    /// reports as a deadlock.
    #[test]
    fn loom_a_sleeper_never_misses_new_work() {
        loom::model(|| {
            let sleep = Arc::new(Sleep::new(1));
            sleep.register_current(0);
            let work = Arc::new(AtomicBool::new(false));
            let maker = {
                let (sleep, work) = (sleep.clone(), work.clone());
                thread::spawn(move || {
                    work.store(true, Ordering::Relaxed);
                    sleep.notify_one();
                })
            };
            while !work.load(Ordering::Relaxed) {
                sleep.sleep(0, || work.load(Ordering::Relaxed), || true);
            }
            maker.join().unwrap();
        });
    }
}
