//! Parking one worker: sleep until there is work, and wake it from any
//! thread without losing a wake-up.
//!
//! An idle worker first tries to take the [`Driver`]; if it gets it, it
//! sleeps inside the OS poll (so I/O and timers keep being served), and a
//! wake goes through the reactor's waker. Otherwise it sleeps on its own
//! condition variable. The state word makes a wake that races the park
//! count: whichever comes second sees the other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::driver::Driver;
use crate::poison::IgnorePoison;

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
        }
    }

    /// Sleeps until [`unpark`](Parker::unpark) is called (or was called
    /// since the last park), or — when this thread got the driver — I/O or a
    /// timer needs attention or `watch` passes. May return spuriously.
    ///
    /// Only the driver's holder keeps `watch` (wakes to look around, for
    /// everyone); a worker on its condition variable sleeps until notified.
    /// Timed condition-variable sleeps measured badly: with them,
    /// `deli-bench scheduler` ping_pong-mt ran 1.4–1.6× tokio's time
    /// against 0.8–0.9× without (the idle worker was woken ten times as
    /// often).
    pub(crate) fn park(&self, driver: &Driver, watch: Option<Duration>) {
        if self.take_notification() {
            return;
        }
        if let Some(mut guard) = driver.try_lock() {
            if !self.announce(PARKED_DRIVER) {
                return;
            }
            guard.park(watch);
            self.state.store(EMPTY, Ordering::Release);
            return;
        }
        self.park_condvar();
    }

    fn park_condvar(&self) {
        let mut guard = self.lock.lock().ignore_poison();
        if !self.announce(PARKED_CONDVAR) {
            return;
        }
        loop {
            guard = self.condvar.wait(guard).ignore_poison();
            if self.take_notification() {
                return;
            }
        }
    }

    /// Consumes a pending notification (NOTIFIED → EMPTY), if there is one.
    fn take_notification(&self) -> bool {
        self.state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Says this thread is about to sleep the `parked` way (EMPTY →
    /// `parked`); `false`, with the notification consumed, when one came
    /// in between and there is no need to sleep.
    fn announce(&self, parked: usize) -> bool {
        if self
            .state
            .compare_exchange(EMPTY, parked, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return true;
        }
        self.state.store(EMPTY, Ordering::Release);
        false
    }

    /// Whether the worker is asleep right now (the monitor's test for "idle,
    /// not stuck").
    pub(crate) fn is_parked(&self) -> bool {
        matches!(
            self.state.load(Ordering::Acquire),
            PARKED_CONDVAR | PARKED_DRIVER
        )
    }

    /// Wakes the worker if it is parked, or makes its next park return at
    /// once.
    pub(crate) fn unpark(&self, driver: &Driver) {
        match self.state.swap(NOTIFIED, Ordering::AcqRel) {
            PARKED_CONDVAR => {
                // Taking the lock orders this notify after the parker's
                // check of the state, so the notify cannot fall in between.
                drop(self.lock.lock().ignore_poison());
                self.condvar.notify_one();
            }
            PARKED_DRIVER => driver.unpark(),
            _ => {}
        }
    }
}
