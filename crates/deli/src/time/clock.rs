//! The clock a runtime's timers read, and the paused test clock:
//! [`pause`], [`resume`], [`advance`] and [`Instant`].
//!
//! Each runtime's timer driver owns one [`Clock`]. Until it is first paused
//! it is the system's monotonic clock and costs nothing: [`now`] reads one
//! process-wide counter of clocks that were ever paused, and while that is
//! zero it is `std::time::Instant::now()`. A paused clock stands still; it
//! moves only when [`advance`] moves it or, on a current-thread runtime,
//! when the runtime has nothing left to run (no task ready, no I/O ready) and
//! it jumps straight to the next timer's deadline ("auto-advance", done by
//! the runtime at its park point through [`Timers::auto_advance`]). So a
//! test of a one-hour timeout runs in microseconds, and every timer fires in
//! deadline order, each seeing the clock at its own deadline.
//!
//! Only this runtime's own tasks and I/O hold auto-advance back: a task
//! that awaits nothing but a `spawn_blocking` call, a pool job or another
//! thread, while a timer is pending, sees the clock jump to that timer
//! (tokio holds its clock while blocking calls run; deli does not yet).
//! Under a paused clock, give such waits no timeout, or drive time with
//! [`advance`].
//!
//! The clock is per runtime, never process-wide: tests that run in parallel
//! each have their own. Time on a clock that was resumed carries on from
//! where it stood, at the system clock's pace.
//!
//! This module may use the timer driver ([`super::driver`]) and std only.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::driver::{self, far_future, Timers};
use crate::poison::IgnorePoison;

/// How many clocks in this process were ever paused (and still exist).
/// While zero, [`now`] does not even look for the current runtime.
static VIRTUAL_CLOCKS: AtomicUsize = AtomicUsize::new(0);

/// One runtime's clock.
pub(crate) struct Clock {
    /// Set at the first `pause`: from then on `now` is `state`'s reading.
    is_virtual: AtomicBool,
    /// Mirrors `state.unfrozen.is_none()` once virtual, for the runtime's
    /// park point (one relaxed load there).
    paused: AtomicBool,
    state: Mutex<ClockState>,
}

struct ClockState {
    /// The time shown when the clock was last paused, advanced or resumed.
    base: std::time::Instant,
    /// When the clock was resumed (system time); `None` while paused.
    unfrozen: Option<std::time::Instant>,
}

impl ClockState {
    fn now(&self) -> std::time::Instant {
        match self.unfrozen {
            Some(since) => self.base + since.elapsed(),
            None => self.base,
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("is_virtual", &self.is_virtual.load(Ordering::Relaxed))
            .field("paused", &self.is_paused())
            .finish_non_exhaustive()
    }
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            is_virtual: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            state: Mutex::new(ClockState {
                base: std::time::Instant::now(),
                unfrozen: Some(std::time::Instant::now()),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ClockState> {
        // The state is two instants, consistent after any panic.
        self.state.lock().ignore_poison()
    }

    /// The time on this clock.
    pub(crate) fn now(&self) -> std::time::Instant {
        if !self.is_virtual.load(Ordering::Acquire) {
            return std::time::Instant::now();
        }
        self.lock().now()
    }

    /// Whether the clock stands still (one relaxed load).
    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Stops the clock at `align(its current time)` (`align` may only move
    /// it forward). Pausing a paused clock does nothing.
    pub(crate) fn pause_aligned(
        &self,
        align: impl FnOnce(std::time::Instant) -> std::time::Instant,
    ) {
        let mut state = self.lock();
        if self.is_virtual.load(Ordering::Relaxed) && state.unfrozen.is_none() {
            return;
        }
        let now = if self.is_virtual.load(Ordering::Relaxed) {
            state.now()
        } else {
            std::time::Instant::now()
        };
        state.base = align(now).max(now);
        state.unfrozen = None;
        if !self.is_virtual.load(Ordering::Relaxed) {
            VIRTUAL_CLOCKS.fetch_add(1, Ordering::AcqRel);
            self.is_virtual.store(true, Ordering::Release);
        }
        self.paused.store(true, Ordering::Relaxed);
    }

    /// Lets a paused clock run again; `false` if it was not paused.
    pub(crate) fn resume(&self) -> bool {
        let mut state = self.lock();
        if state.unfrozen.is_some() {
            return false;
        }
        state.unfrozen = Some(std::time::Instant::now());
        self.paused.store(false, Ordering::Relaxed);
        true
    }

    /// Moves a paused clock forward to `to` (never backwards); `false` if
    /// it is not paused.
    pub(crate) fn advance_to(&self, to: std::time::Instant) -> bool {
        let mut state = self.lock();
        if state.unfrozen.is_some() {
            return false;
        }
        if to > state.base {
            state.base = to;
        }
        true
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        if *self.is_virtual.get_mut() {
            VIRTUAL_CLOCKS.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Timers {
    /// The current-thread runtime's park point calls this when it has no
    /// task to run and no I/O ready: on a paused clock with a timer
    /// pending, the clock jumps to the next deadline and the due timers
    /// fire. Whether it did (so the runtime has work again instead of
    /// parking). The caller checks `clock().is_paused()` first, so an
    /// unpaused runtime never gets here.
    pub(crate) fn auto_advance(&self) -> bool {
        if !self.clock().is_paused() {
            return false;
        }
        let Some(next) = self.next_deadline() else {
            return false;
        };
        if !self.clock().advance_to(next) {
            return false;
        }
        self.process(self.clock().now());
        true
    }
}

/// The time now on the current runtime's clock: the system's monotonic
/// clock unless that runtime's clock was paused. Timers (`sleep`,
/// `timeout`, `interval`) read this.
pub(crate) fn now() -> std::time::Instant {
    if VIRTUAL_CLOCKS.load(Ordering::Acquire) == 0 {
        return std::time::Instant::now();
    }
    driver::with_current(|timers| timers.clock().now()).unwrap_or_else(std::time::Instant::now)
}

/// Why the test clock could not be paused, resumed or advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClockError {
    /// Called outside a deli runtime: the clock belongs to a runtime.
    #[error("the deli clock can only be paused or advanced inside a deli runtime")]
    NoRuntime,
    /// `resume` or `advance` on a clock that is running.
    #[error("the runtime's clock is not paused")]
    NotPaused,
}

/// Stops the current runtime's clock, for tests: from now on time moves
/// only when [`advance`] moves it, or — on a current-thread runtime — when
/// every task is idle and no I/O is ready, in which case it jumps to the
/// next timer's deadline at once. Pausing a paused clock does nothing.
///
/// `#[deli::test(start_paused = true)]` and
/// [`Builder::start_paused`](crate::Builder::start_paused) start a runtime
/// this way. On a multi-thread runtime the clock can be paused too, but it
/// moves only with [`advance`] (no auto-advance).
///
/// # Errors
///
/// [`ClockError::NoRuntime`] outside a deli runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = deli::Runtime::builder().current_thread().build().unwrap();
/// rt.block_on(async {
///     deli::time::pause().unwrap();
///     let start = deli::time::Instant::now();
///     let real = std::time::Instant::now();
///     deli::sleep(Duration::from_secs(24 * 3600)).await; // a day, at once
///     assert!(start.elapsed() >= Duration::from_secs(24 * 3600));
///     assert!(real.elapsed() < Duration::from_secs(60));
/// });
/// ```
pub fn pause() -> Result<(), ClockError> {
    let timers = driver::current().ok_or(ClockError::NoRuntime)?;
    timers.pause_clock();
    Ok(())
}

/// Lets the current runtime's paused clock run again, from the time it
/// shows, at the system clock's pace.
///
/// # Errors
///
/// [`ClockError::NoRuntime`] outside a runtime, [`ClockError::NotPaused`]
/// if the clock is running.
///
/// # Examples
///
/// ```
/// let rt = deli::Runtime::builder().current_thread().build().unwrap();
/// rt.block_on(async {
///     deli::time::pause().unwrap();
///     deli::time::resume().unwrap();
///     assert_eq!(deli::time::resume(), Err(deli::time::ClockError::NotPaused));
/// });
/// ```
pub fn resume() -> Result<(), ClockError> {
    let timers = driver::current().ok_or(ClockError::NoRuntime)?;
    if timers.clock().resume() {
        Ok(())
    } else {
        Err(ClockError::NotPaused)
    }
}

/// Moves the current runtime's paused clock forward by `duration`, firing
/// the timers that fall due on the way in deadline order: the clock stops
/// at each deadline and yields, so the tasks woken there run (and see the
/// clock at their deadline) before it moves on. Returns once the clock
/// shows `duration` later and the tasks woken last have had their turn.
///
/// # Errors
///
/// [`ClockError::NoRuntime`] outside a runtime, [`ClockError::NotPaused`]
/// if the clock is running.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = deli::Runtime::builder().current_thread().build().unwrap();
/// rt.block_on(async {
///     deli::time::pause().unwrap();
///     let start = deli::time::Instant::now();
///     deli::time::advance(Duration::from_secs(90)).await.unwrap();
///     assert_eq!(start.elapsed(), Duration::from_secs(90));
/// });
/// ```
pub async fn advance(duration: Duration) -> Result<(), ClockError> {
    let timers = driver::current().ok_or(ClockError::NoRuntime)?;
    let clock = timers.clock();
    if !clock.is_paused() {
        return Err(ClockError::NotPaused);
    }
    let now = clock.now();
    let target = now.checked_add(duration).unwrap_or_else(|| far_future(now));
    // Step through the deadlines on the way, letting the tasks each step
    // wakes run before the next, so that timers fire in deadline order and
    // each woken task sees the clock at its own deadline.
    while let Some(next) = timers.next_deadline() {
        if next > target {
            break;
        }
        clock.advance_to(next);
        timers.process(clock.now());
        crate::task::yield_now().await;
        if timers.next_deadline() == Some(next) {
            // Nothing moved: never loop on one instant (defensive).
            break;
        }
    }
    if !clock.advance_to(target) {
        return Err(ClockError::NotPaused);
    }
    timers.process(target);
    crate::task::yield_now().await;
    Ok(())
}

/// A point in time on the current runtime's clock: like
/// `std::time::Instant`, except that [`now`](Instant::now) and
/// [`elapsed`](Instant::elapsed) follow a paused test clock (see
/// [`pause`]). Converts to and from `std::time::Instant`, which deli's
/// timer functions accept.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::time::Instant;
///
/// deli::run(async {
///     let start = Instant::now();
///     deli::time::sleep_until(start + Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
///     let std_instant: std::time::Instant = start.into_std();
///     assert_eq!(Instant::from_std(std_instant), start);
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The time now on the current runtime's clock (the system clock
    /// outside a runtime or when the clock is not paused).
    ///
    /// ```
    /// let a = deli::time::Instant::now();
    /// let b = deli::time::Instant::now();
    /// assert!(b >= a);
    /// ```
    pub fn now() -> Instant {
        Instant(now())
    }

    /// Wraps a `std::time::Instant`.
    ///
    /// ```
    /// let now = std::time::Instant::now();
    /// assert_eq!(deli::time::Instant::from_std(now).into_std(), now);
    /// ```
    pub fn from_std(instant: std::time::Instant) -> Instant {
        Instant(instant)
    }

    /// The `std::time::Instant` this is.
    ///
    /// ```
    /// let now = deli::time::Instant::now();
    /// let _: std::time::Instant = now.into_std();
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// Time on the current runtime's clock since `self`; zero if `self` is
    /// later.
    ///
    /// ```
    /// let start = deli::time::Instant::now();
    /// assert!(start.elapsed() < std::time::Duration::from_secs(60));
    /// ```
    pub fn elapsed(&self) -> Duration {
        now().saturating_duration_since(self.0)
    }

    /// Time from `earlier` to `self`; zero if `earlier` is later.
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = deli::time::Instant::now();
    /// let b = a + Duration::from_secs(2);
    /// assert_eq!(b.duration_since(a), Duration::from_secs(2));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// `self + duration`, or `None` if that does not fit.
    ///
    /// ```
    /// use std::time::Duration;
    /// let now = deli::time::Instant::now();
    /// assert!(now.checked_add(Duration::from_secs(1)).is_some());
    /// assert!(now.checked_add(Duration::MAX).is_none());
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` if that does not fit.
    ///
    /// ```
    /// use std::time::Duration;
    /// let now = deli::time::Instant::now();
    /// assert!(now.checked_sub(Duration::MAX).is_none());
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(instant: std::time::Instant) -> Instant {
        Instant(instant)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// # Panics
    ///
    /// On overflow, as `std::time::Instant`; see [`Instant::checked_add`].
    fn add(self, duration: Duration) -> Instant {
        Instant(self.0 + duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        self.0 += duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, duration: Duration) -> Instant {
        Instant(self.0 - duration)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        self.0 -= duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturates at zero, as `std::time::Instant` does.
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}
