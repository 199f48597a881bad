//! Time: [`sleep`], [`timeout`] and [`interval`], and the timer machinery
//! behind them.
//!
//! This module owns every timer in deli: the hierarchical timing wheel that
//! holds them (`wheel`, a pure data structure), the driver that a runtime
//! shares between its threads and polls when it would otherwise park
//! (`driver::Timers`), the global fallback driver for timers awaited where
//! no runtime is current, the public futures built on them, and each
//! runtime's clock with the paused test clock ([`pause`], [`advance`],
//! [`Instant`]; see `clock`). It may call
//! nothing above it (no runtime, no scheduler); runtimes call into it.
//!
//! Timers have a resolution of 1 ms, and a deadline is rounded up to the
//! next whole millisecond, so a timer never fires early; it fires as soon as
//! the driver runs after that (typically within a millisecond). Timers are
//! cheap: registering, moving and cancelling one is O(1) without allocating
//! beyond the wheel's slab, and 100,000 pending timers cost a few megabytes.
//!
//! A timer binds to a driver when it is first polled, not when it is made:
//! to the runtime whose thread polls it, or, on a thread without a runtime
//! (a plain thread blocking on a future), to the fallback driver, one
//! background thread named `deli-timer` started on first use. Nothing here
//! panics for lack of a runtime.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! deli::run(async {
//!     deli::time::sleep(Duration::from_millis(5)).await;
//!     let slow = deli::time::sleep(Duration::from_secs(60));
//!     let result = deli::time::timeout(Duration::from_millis(5), slow).await;
//!     assert!(result.is_err());
//! });
//! ```

mod clock;
pub(crate) mod driver;
mod interval;
mod sleep;
mod timeout;
mod wheel;

#[cfg(all(test, not(loom)))]
mod test_support;

use std::future::IntoFuture;
use std::time::Duration;

pub(crate) use clock::now;
pub use clock::{advance, pause, resume, ClockError, Instant};
pub use interval::{Interval, MissedTickBehavior};
pub use sleep::Sleep;
pub use timeout::{Elapsed, Timeout};

pub(crate) use driver::{enter, EnterGuard, Timers};

/// The deadline `duration` from now; "never" if that overflows `Instant`.
fn deadline_after(duration: Duration) -> std::time::Instant {
    let now = now();
    now.checked_add(duration)
        .unwrap_or_else(|| driver::far_future(now))
}

/// Waits until `duration` has elapsed.
///
/// Completes no earlier than `duration` after this call (rounded up to the
/// next millisecond), whenever it is first polled. A `duration` too large for
/// `Instant` means "never". See [`Sleep`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let start = Instant::now();
///     deli::time::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::until(deadline_after(duration))
}

/// Waits until `deadline`; completes at the first poll if it has passed.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     deli::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: impl Into<std::time::Instant>) -> Sleep {
    Sleep::until(deadline.into())
}

/// Runs `future` against a time limit: `Ok(output)` if it finishes within
/// `duration`, `Err(Elapsed)` otherwise (dropping the future). A ready output
/// wins over a deadline that has passed. See [`Timeout`].
///
/// The future is dropped on the spot at the deadline, whatever it runs.
/// Around a [`scope`](crate::scope()) that means its children are
/// cancelled but not waited for: use [`fail_after`](crate::fail_after)
/// there, which lets the scope stop its children first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::time::{timeout, Elapsed};
///
/// deli::run(async {
///     assert_eq!(timeout(Duration::from_secs(1), async { 1 }).await, Ok(1));
///     let never = std::future::pending::<u8>();
///     let late: Result<u8, Elapsed> = timeout(Duration::from_millis(5), never).await;
///     assert!(late.is_err());
/// });
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep(duration))
}

/// Like [`timeout`], with the limit given as an instant.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let never = std::future::pending::<()>();
///     assert!(deli::time::timeout_at(deadline, never).await.is_err());
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn timeout_at<F: IntoFuture>(
    deadline: impl Into<std::time::Instant>,
    future: F,
) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep_until(deadline))
}

/// A timer that ticks every `period`, the first tick immediately.
///
/// A `period` under 1 ms, zero included, is raised to 1 ms (the timers'
/// resolution) rather than refused or panicking. Missed ticks are skipped by
/// default; see [`MissedTickBehavior`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let start = Instant::now();
///     let mut interval = deli::time::interval(Duration::from_millis(5));
///     for _ in 0..3 {
///         interval.tick().await; // at 0, 5 and 10 ms
///     }
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    Interval::new(now(), period)
}

/// A timer that ticks every `period`, the first tick at `start`.
///
/// `period` is raised to at least 1 ms, as for [`interval`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut interval = deli::time::interval_at(start, Duration::from_millis(5));
///     assert_eq!(interval.tick().await, start);
///     assert!(Instant::now() >= start);
/// });
/// ```
pub fn interval_at(start: impl Into<std::time::Instant>, period: Duration) -> Interval {
    Interval::new(start.into(), period)
}
