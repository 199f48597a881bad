//! Std-only helpers for the time module's unit tests: a bounded thread-park
//! `block_on` (timers go to the fallback driver), a tiny current-thread
//! "runtime" that drives its own `Timers` the way deli's runtime will.

use std::future::Future;
use std::pin::pin;

use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use super::driver::{self, Timers};
pub(crate) use crate::test_support::block_on_bounded;
use crate::test_support::thread_waker;

/// Runs `future` on this thread with its own `Timers` entered and driven
/// here between polls, then shuts them down. Returns the output and how many
/// timers this driver fired; `None` if not done within `bound`.
pub(crate) fn run_on_own_timers<F: Future>(
    future: F,
    bound: Duration,
) -> Option<(F::Output, usize)> {
    let give_up = Instant::now() + bound;
    let this_thread = thread::current();
    let timers = Timers::new(Box::new(move || this_thread.unpark()));
    let guard = driver::enter(&timers);
    let mut future = pin!(future);
    let waker = thread_waker();
    let mut cx = Context::from_waker(&waker);
    let mut fired = 0;
    let output = loop {
        fired += timers.process(Instant::now());
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            break Some(output);
        }
        let next = timers.next_deadline();
        timers.set_parked_until(next);
        let now = Instant::now();
        if now >= give_up {
            break None;
        }
        let wake_at = next.map_or(give_up, |next| next.min(give_up));
        thread::park_timeout(wake_at.saturating_duration_since(now));
    };
    drop(guard);
    timers.shutdown();
    output.map(|output| (output, fired))
}
