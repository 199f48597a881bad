//! `yield_now`: give the worker to the other ready tasks once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the scheduler: the task goes to the back of its worker's
/// run queue and the others ready before it run first.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     for _ in 0..3 {
///         deli::yield_now().await;
///     }
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        if crate::trace::is_enabled() {
            super::current::note_yield();
        }
        // Waking ourselves while running tells the scheduler this is a
        // yield: the task goes behind the others, not into the fast slot.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
