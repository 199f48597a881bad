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
//!
//! The monitor may mark an awake worker as blocked (stuck in one poll):
//! its "awake" count then passes to the spare that replaces it, so the
//! counts keep describing the configured number of workers. The mark lives
//! under the same lock as the sleepers, so a worker is never both parked
//! and blocked.

use crate::poison::IgnorePoison;
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::Mutex;

const SEARCHING_BITS: usize = 16;
const SEARCHING_MASK: usize = (1 << SEARCHING_BITS) - 1;
const ONE_UNPARKED: usize = 1 << SEARCHING_BITS;

#[derive(Debug)]
pub(crate) struct Idle {
    /// unparked << 16 | searching
    state: AtomicUsize,
    sleepers: Mutex<Sleepers>,
    workers: usize,
}

#[derive(Debug)]
struct Sleepers {
    parked: Vec<usize>,
    /// Per worker slot: marked blocked by the monitor, not yet retired.
    blocked: Vec<bool>,
}

fn searching(state: usize) -> usize {
    state & SEARCHING_MASK
}

fn unparked(state: usize) -> usize {
    state >> SEARCHING_BITS
}

impl Idle {
    /// Accounting for `workers` running workers, in `slots` worker slots
    /// (the rest are for spares).
    pub(crate) fn new(workers: usize, slots: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(workers << SEARCHING_BITS),
            sleepers: Mutex::new(Sleepers {
                parked: Vec::with_capacity(slots),
                blocked: vec![false; slots],
            }),
            workers,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sleepers> {
        self.sleepers.lock().ignore_poison()
    }

    /// Picks a sleeping worker to wake for new work, if waking one is
    /// worth it, and counts it as awake and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.lock();
        // Re-check under the lock: another thread may have woken one.
        if !self.should_notify() {
            return None;
        }
        let worker = sleepers.parked.pop()?;
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

    /// The worker goes to sleep. Returns whether it was the last searcher
    /// (it must then look for stranded work before sleeping), or `None`,
    /// changing nothing, if the monitor has marked it blocked (it must
    /// retire instead).
    pub(crate) fn transition_worker_to_parked(
        &self,
        worker: usize,
        is_searching: bool,
    ) -> Option<bool> {
        let mut sleepers = self.lock();
        if sleepers.blocked[worker] {
            return None;
        }
        let decrement = ONE_UNPARKED + usize::from(is_searching);
        let previous = self.state.fetch_sub(decrement, Ordering::SeqCst);
        // Pairs with the fence in `should_notify`: the caller's look at the
        // queues after this comes after the count change.
        fence(Ordering::SeqCst);
        sleepers.parked.push(worker);
        Some(is_searching && searching(previous) == 1)
    }

    /// The monitor found `worker` stuck: unless it is parked (then it was
    /// not stuck after all) or marked already, mark it blocked, run
    /// `while_marking` under the lock, and return true. Its awake count
    /// passes to the spare that replaces it.
    pub(crate) fn mark_blocked(&self, worker: usize, while_marking: impl FnOnce()) -> bool {
        let mut sleepers = self.lock();
        if sleepers.blocked[worker] || sleepers.parked.contains(&worker) {
            return false;
        }
        sleepers.blocked[worker] = true;
        while_marking();
        true
    }

    /// A worker marked blocked has come back and leaves the running set
    /// (its awake count went to its replacement). Returns true if it was
    /// the last searcher (it should then wake another).
    pub(crate) fn retire_blocked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.lock();
        sleepers.blocked[worker] = false;
        if !is_searching {
            return false;
        }
        let previous = self.state.fetch_sub(1, Ordering::SeqCst);
        searching(previous) == 1
    }

    /// Whether `worker` is still on the sleepers list (nobody woke it).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.lock().parked.contains(&worker)
    }

    /// The worker woke on its own (driver event, time-out): take it off the
    /// sleepers list and count it awake, not searching. Returns false if it
    /// had been woken by someone else in the meantime (and so is counted
    /// awake and searching already).
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.lock();
        let Some(position) = sleepers
            .parked
            .iter()
            .position(|&sleeper| sleeper == worker)
        else {
            return false;
        };
        sleepers.parked.swap_remove(position);
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
        let idle = Idle::new(2, 2);
        assert_eq!(idle.worker_to_notify(), None, "everyone is awake");
        assert_eq!(idle.transition_worker_to_parked(0, false), Some(false));
        assert_eq!(idle.worker_to_notify(), Some(0));
        // Worker 0 is now awake and searching: no second wake-up.
        assert_eq!(idle.transition_worker_to_parked(1, false), Some(false));
        assert_eq!(idle.worker_to_notify(), None);
        assert!(idle.transition_worker_from_searching());
        assert_eq!(idle.worker_to_notify(), Some(1));
    }

    #[test]
    fn last_searcher_is_told() {
        let idle = Idle::new(4, 4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(
            !idle.transition_worker_to_searching(),
            "half the workers at most"
        );
        assert_eq!(idle.transition_worker_to_parked(0, true), Some(false));
        assert_eq!(idle.transition_worker_to_parked(1, true), Some(true));
        assert!(idle.is_parked(1));
        assert!(idle.unpark_worker_by_id(1));
        assert!(!idle.is_parked(1));
        assert!(!idle.unpark_worker_by_id(1));
    }

    #[test]
    fn a_blocked_worker_retires_instead_of_parking() {
        let idle = Idle::new(2, 3);
        assert!(idle.transition_worker_to_parked(1, false).is_some());
        assert!(!idle.mark_blocked(1, || {}), "a parked worker is not stuck");
        let mut marked = false;
        assert!(idle.mark_blocked(0, || marked = true));
        assert!(marked);
        assert!(!idle.mark_blocked(0, || {}), "marked once");
        assert_eq!(idle.transition_worker_to_parked(0, false), None);
        assert!(!idle.retire_blocked(0, false));
        // The replacement (slot 2) inherited worker 0's awake count.
        assert_eq!(idle.num_unparked(), 1);
        assert!(idle.transition_worker_to_parked(2, false).is_some());
        assert_eq!(idle.num_unparked(), 0);
    }
}
