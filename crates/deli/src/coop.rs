//! The cooperative budget: how a task that is always ready still yields.
//!
//! A leaf of the crate, below `task`, `io` and `time`, which all use it.
//!
//! A worker grants each poll a budget of operations. Deli's own leaf futures
//! (tickets, and the resources built on the reactor) spend one unit each
//! time they would return `Ready`; when the budget is gone they return
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
    struct Restore(u8);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0;
            let _ = REMAINING.try_with(|remaining| remaining.set(previous));
        }
    }
    let previous = REMAINING.try_with(|remaining| remaining.replace(BUDGET));
    let _restore = Restore(previous.unwrap_or(UNLIMITED));
    poll()
}

/// Spends one unit of budget, or, when none is left, wakes the task and
/// returns `Pending` so it yields.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let allowed = REMAINING
        .try_with(|remaining| match remaining.get() {
            UNLIMITED => true,
            0 => false,
            left => {
                remaining.set(left - 1);
                true
            }
        })
        .unwrap_or(true);
    if allowed {
        Poll::Ready(())
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
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
            assert!(poll_proceed(&mut cx).is_ready());
        }
        with_budget(|| {
            let ready = (0..1000)
                .take_while(|_| poll_proceed(&mut cx).is_ready())
                .count();
            assert_eq!(ready, BUDGET as usize);
        });
        assert!(poll_proceed(&mut cx).is_ready());
    }
}
