//! A coarse clock for "how long has this task been in its state": a
//! process-wide millisecond count that the schedulers refresh now and then
//! (between batches of polls, after parking, when a snapshot is taken), so
//! that stamping a task's state change costs a relaxed load and a relaxed
//! store instead of a clock read. A stamp may lag the true time by the
//! interval between two refreshes (well under a millisecond on a busy
//! worker; an idle runtime refreshes when it wakes).
//!
//! Owns the epoch and the count; calls nothing else in deli.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static EPOCH: OnceLock<Instant> = OnceLock::new();
/// Milliseconds since [`EPOCH`] at the last refresh (wraps after 49 days,
/// which only makes one stamp read short).
static NOW_MS: AtomicU32 = AtomicU32::new(0);

/// The last refreshed time, in milliseconds since the epoch.
#[inline]
pub(crate) fn coarse_now() -> u32 {
    NOW_MS.load(Ordering::Relaxed)
}

/// Reads the real clock and publishes it (written only when the
/// millisecond changed, so refreshing threads do not fight over the line).
pub(crate) fn refresh() -> u32 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    let now = epoch.elapsed().as_millis() as u32;
    if NOW_MS.load(Ordering::Relaxed) != now {
        NOW_MS.store(now, Ordering::Relaxed);
    }
    now
}

/// How long ago the stamp `since` was, as of `now` (both from this clock).
pub(crate) fn elapsed(since: u32, now: u32) -> Duration {
    Duration::from_millis(u64::from(now.wrapping_sub(since)))
}
