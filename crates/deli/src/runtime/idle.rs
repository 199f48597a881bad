//! Who is searching for work and who is asleep, across the workers of a
//! multi-thread runtime.
//!
//! Waking a worker costs a syscall, so a new task wakes one only when no
//! worker is already searching (a searcher will find the task) and someone
//! is asleep. A searcher that finds work and was the last one searching
//! wakes another, so work spreads one worker at a time; the last searcher
//! to go to sleep looks at every queue once more, so no task is stranded.
//!
//! The counts share one atomic word so that "how many search" and "how
//! many are awake" are read together; the list of sleepers is behind a
//! lock, which is only taken on the slow path (parking and waking).

use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Mutex;

const SEARCHING_BITS: usize = 16;
const SEARCHING_MASK: usize = (1 << SEARCHING_BITS) - 1;
const ONE_UNPARKED: usize = 1 << SEARCHING_BITS;

#[derive(Debug)]
pub(crate) struct Idle {
    /// unparked << 16 | searching
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCHING_MASK
}

fn unparked(state: usize) -> usize {
    state >> SEARCHING_BITS
}

impl Idle {
    pub(crate) fn new(workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(workers << SEARCHING_BITS),
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            workers,
        }
    }

    /// Picks a sleeping worker to wake for new work, if waking one is
    /// worth it, and counts it as awake and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|p| p.into_inner());
        // Re-check under the lock: another thread may have woken one.
        if !self.should_notify() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add(ONE_UNPARKED | 1, Ordering::SeqCst);
        Some(worker)
    }

    fn should_notify(&self) -> bool {
        // Orders the caller's push of the new task (a plain store to a
        // queue) before this load, against the parking worker's fence in
        // `transition_worker_to_parked`: one of the two sides then sees the
        // other, so the task is never left with everyone asleep.
        fence(Ordering::SeqCst);
        let state = self.state.load(Ordering::SeqCst);
        searching(state) == 0 && unparked(state) < self.workers
    }

    /// A worker wants to steal. At most half the workers search at once,
    /// or they would only steal from each other.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        if 2 * searching(state) >= self.workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A searcher found work. Returns true if it was the last searcher (it
    /// should then wake another, to keep one looking).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let previous = self.state.fetch_sub(1, Ordering::SeqCst);
        searching(previous) == 1
    }

    /// The worker goes to sleep. Returns true if it was the last searcher
    /// (it must then look for stranded work before sleeping).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|p| p.into_inner());
        let decrement = ONE_UNPARKED + usize::from(is_searching);
        let previous = self.state.fetch_sub(decrement, Ordering::SeqCst);
        // Pairs with the fence in `should_notify`: the caller's look at the
        // queues after this comes after the count change.
        fence(Ordering::SeqCst);
        sleepers.push(worker);
        is_searching && searching(previous) == 1
    }

    /// Whether `worker` is still on the sleepers list (nobody woke it).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        let sleepers = self.sleepers.lock().unwrap_or_else(|p| p.into_inner());
        sleepers.contains(&worker)
    }

    /// The worker woke on its own (driver event, time-out): take it off the
    /// sleepers list and count it awake, not searching. Returns false if it
    /// had been woken by someone else in the meantime (and so is counted
    /// awake and searching already).
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock().unwrap_or_else(|p| p.into_inner());
        let Some(position) = sleepers.iter().position(|&sleeper| sleeper == worker) else {
            return false;
        };
        sleepers.swap_remove(position);
        self.state.fetch_add(ONE_UNPARKED, Ordering::SeqCst);
        true
    }

    /// How many workers are awake right now.
    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.state.load(Ordering::SeqCst))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wakes_only_when_nobody_searches() {
        let idle = Idle::new(2);
        assert_eq!(idle.worker_to_notify(), None, "everyone is awake");
        assert!(!idle.transition_worker_to_parked(0, false));
        assert_eq!(idle.worker_to_notify(), Some(0));
        // Worker 0 is now awake and searching: no second wake-up.
        assert!(!idle.transition_worker_to_parked(1, false));
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.transition_worker_from_searching());
        assert_eq!(idle.worker_to_notify(), Some(1));
    }

    #[test]
    fn last_searcher_is_told() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(
            !idle.transition_worker_to_searching(),
            "half the workers at most"
        );
        assert!(!idle.transition_worker_to_parked(0, true));
        assert!(idle.transition_worker_to_parked(1, true));
        assert!(idle.is_parked(1));
        assert!(idle.unpark_worker_by_id(1));
        assert!(!idle.is_parked(1));
        assert!(!idle.unpark_worker_by_id(1));
    }
}
