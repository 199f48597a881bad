//! The driver a parked worker polls: the I/O reactor and the timers
//! together, behind one try-lock so that exactly one idle thread blocks in
//! the OS poll while the others sleep on their own condition variables.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use crate::io::{Driver as IoDriver, Reactor};
use crate::time::Timers;

#[derive(Debug)]
pub(crate) struct Driver {
    io: Mutex<IoDriver>,
    pub(crate) reactor: Arc<Reactor>,
    pub(crate) timers: Arc<Timers>,
    /// When the runtime was built (for its uptime in snapshots).
    pub(crate) started: Instant,
}

/// Proof that this thread holds the driver.
pub(crate) struct DriverGuard<'a> {
    io: MutexGuard<'a, IoDriver>,
    driver: &'a Driver,
}

impl Driver {
    pub(crate) fn new() -> io::Result<Driver> {
        let (io_driver, reactor) = IoDriver::new()?;
        let unpark_reactor = reactor.clone();
        let timers = Timers::new(Box::new(move || unpark_reactor.unpark()));
        Ok(Driver {
            io: Mutex::new(io_driver),
            reactor,
            timers,
            started: Instant::now(),
        })
    }

    /// Takes the driver if nobody else is polling it.
    pub(crate) fn try_lock(&self) -> Option<DriverGuard<'_>> {
        let io = match self.io.try_lock() {
            Ok(io) => io,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        Some(DriverGuard { io, driver: self })
    }

    /// Interrupts the thread blocked in [`DriverGuard::park`], if any.
    pub(crate) fn unpark(&self) {
        self.reactor.unpark();
    }

    /// Wakes everything still waiting on I/O or timers with a shutdown
    /// error, so the futures holding them can finish or be dropped.
    pub(crate) fn shutdown(&self) {
        self.timers.shutdown();
        self.reactor.shutdown();
    }
}

impl DriverGuard<'_> {
    /// Blocks in the OS poll until I/O is ready, the next timer is due,
    /// `timeout` passes or someone calls [`Driver::unpark`]; then fires the
    /// due timers. `Some(Duration::ZERO)` just looks without blocking.
    pub(crate) fn park(&mut self, timeout: Option<Duration>) {
        let timers = &self.driver.timers;
        if timeout == Some(Duration::ZERO) {
            // A busy worker's look: no announcement, nobody needs to wake it.
            let _ = self.io.turn(timeout);
        } else {
            // The timers' own clock: a paused test clock's deadlines are not
            // the system's.
            let now = timers.now();
            let until_timer = timers
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(now));
            let wait = match (timeout, until_timer) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // Tell the timers how long we sleep, so that registering an
            // earlier one interrupts us (they also catch one registered
            // since `next_deadline` above).
            timers.set_parked_until(wait.and_then(|wait| now.checked_add(wait)));
            // An error from the OS poll (other than EINTR, which the
            // reactor absorbs) leaves nothing to dispatch; the caller looks
            // at its queues again either way.
            let _ = self.io.turn(wait);
        }
        timers.process(timers.now());
    }

    /// For a current-thread runtime with nothing to run: look at I/O once
    /// without blocking, and if `still_idle` says that made nothing
    /// runnable, let a paused clock jump to the next timer (see
    /// `Timers::auto_advance`). Whether there may be work now, so the
    /// caller should look at its queues instead of parking.
    pub(crate) fn auto_advance(&mut self, still_idle: impl FnOnce() -> bool) -> bool {
        self.park(Some(Duration::ZERO));
        if !still_idle() {
            return true;
        }
        self.driver.timers.auto_advance()
    }
}
