//! The cooperative budget: how a task that is always ready still yields.
//!
//! A leaf of the crate, below `task`, `io` and `time`, which all use it.
//!
//! A worker grants each poll a budget of operations. Deli's own leaf futures
//! (tickets, timers, and the resources built on the reactor) spend one unit
//! each time they return `Ready`; when the budget is gone they return
//! `Pending` after waking their task, which sends the task to the back of
//! the run queue. A loop that `await`s things that are always ready thus
//! lets its neighbours run every [`BUDGET`] operations. Outside a task the
//! budget is unlimited.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations one poll may complete before it must yield.
pub(crate) const BUDGET: u8 = 128;
const UNLIMITED: u8 = u8::MAX;

thread_local! {
    static REMAINING: Cell<u8> = const { Cell::new(UNLIMITED) };
}

/// Runs one poll of a task with a fresh budget, restoring the previous one
/// after (polls nest when a task blocks on another executor).
pub(crate) fn with_budget<R>(poll: impl FnOnce() -> R) -> R {
    with_remaining(BUDGET, poll)
}

fn with_remaining<R>(budget: u8, poll: impl FnOnce() -> R) -> R {
    struct Restore(u8);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0;
            let _ = REMAINING.try_with(|remaining| remaining.set(previous));
        }
    }
    let previous = REMAINING.try_with(|remaining| remaining.replace(budget));
    let _restore = Restore(previous.unwrap_or(UNLIMITED));
    poll()
}

/// Runs `poll` with no budget limit, restoring the budget after. For
/// executors of their own (a thread blocking on a future, which must never
/// be told to yield to nobody) and for combinators that poll many leaves
/// on behalf of one result and spend budget themselves instead.
pub(crate) fn unlimited<R>(poll: impl FnOnce() -> R) -> R {
    with_remaining(UNLIMITED, poll)
}

/// Polls `inner` under the budget: with budget left, polls it and spends
/// one unit if it is ready; with none left, wakes the task and returns
/// `Pending` without polling, so the task yields. A `Pending` from `inner`
/// costs nothing: a future waiting on many things at once must be able to
/// poll them all.
pub(crate) fn budgeted<T>(
    cx: &mut Context<'_>,
    inner: impl FnOnce(&mut Context<'_>) -> Poll<T>,
) -> Poll<T> {
    let remaining = REMAINING.try_with(Cell::get).unwrap_or(UNLIMITED);
    if remaining == 0 {
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    let polled = inner(cx);
    if polled.is_ready() && remaining != UNLIMITED {
        // Re-read: `inner` may have run a nested budgeted poll.
        let _ = REMAINING.try_with(|left| {
            let now = left.get();
            if now != UNLIMITED && now > 0 {
                left.set(now - 1);
            }
        });
    }
    polled
}

/// Spends one unit of the budget before an operation that may complete at
/// once (a receive from a channel that always has a value, a lock nobody
/// holds): with none left, the task yields first. What lets a loop over
/// such operations share its worker, and keeps the monitor from taking a
/// long busy loop of them for a blocked worker.
pub(crate) fn spend() -> Spend {
    Spend
}

/// The future of [`spend`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub(crate) struct Spend;

impl std::future::Future for Spend {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        budgeted(cx, |_| Poll::Ready(()))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn unlimited_outside_a_task_and_bounded_inside() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            assert!(budgeted(&mut cx, |_| Poll::Ready(())).is_ready());
        }
        with_budget(|| {
            let ready = (0..1000)
                .take_while(|_| budgeted(&mut cx, |_| Poll::Ready(())).is_ready())
                .count();
            assert_eq!(ready, BUDGET as usize);
        });
        assert!(budgeted(&mut cx, |_| Poll::Ready(())).is_ready());
    }

    #[test]
    fn pending_polls_spend_nothing() {
        let mut cx = Context::from_waker(Waker::noop());
        with_budget(|| {
            for _ in 0..1000 {
                assert!(budgeted(&mut cx, |_| Poll::<()>::Pending).is_pending());
            }
            let ready = (0..1000)
                .take_while(|_| budgeted(&mut cx, |_| Poll::Ready(())).is_ready())
                .count();
            assert_eq!(ready, BUDGET as usize);
        });
    }
}
