//! Driving one future to completion on the calling thread, parking the
//! thread while the future waits: the single mechanism behind
//! `Ticket::wait_blocking`, a multi-thread runtime's `block_on` and every blocking
//! form of [`crate::sync`] (`lock_blocking`, `recv_blocking`, …).
//!
//! One mechanism means one behaviour: a blocking call is exactly its async
//! twin run on a thread, with the same fairness, the same errors and — for
//! the forms with a deadline, which give up at the deadline — the same
//! cancel-safety. The thread is its own executor, so it polls with no
//! cooperative budget: called from inside a task that has spent its budget,
//! a budgeted wait would otherwise tell it to yield to nobody, wake itself
//! and spin forever.
//!
//! A leaf beside `coop`: uses `std` and [`crate::coop`] only, so `task` and
//! `sync` can both sit on it.

use std::cell::Cell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// Wakes a parked thread. `notified` tells a real wake from one of
/// `park`'s spurious returns, and makes the hand-off race-free: a wake that
/// lands between a `Pending` poll and `park` is seen before parking.
struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
}

impl ThreadWaker {
    fn for_this_thread() -> Arc<ThreadWaker> {
        Arc::new(ThreadWaker {
            thread: thread::current(),
            notified: AtomicBool::new(false),
        })
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.notified.swap(true, Ordering::Release) {
            self.thread.unpark();
        }
    }
}

thread_local! {
    // One waker per thread, so a blocking call allocates nothing; `IN_USE`
    // keeps a nested blocking call (a future that blocks inside its own
    // poll) from taking the outer call's wake-ups.
    static THREAD_WAKER: Arc<ThreadWaker> = ThreadWaker::for_this_thread();
    static IN_USE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `future` to completion on this thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    match block_on_until(pin!(future), None) {
        Some(output) => output,
        // `block_on_until` returns `None` only once a deadline has passed.
        None => unreachable!("no deadline was given"),
    }
}

/// Runs `future` on this thread until it finishes (`Some`) or `timeout` has
/// passed (`None`; the future is dropped unfinished).
pub(crate) fn block_on_timeout<F: Future>(future: F, timeout: Duration) -> Option<F::Output> {
    // A deadline too far away to represent is as good as none.
    block_on_until(pin!(future), Instant::now().checked_add(timeout))
}

/// Polls `future` on this thread until it is ready (`Some`) or `deadline`
/// passes (`None`), parking in between. On `None` the future is left as it
/// is and can be polled again later.
pub(crate) fn block_on_until<F: Future + ?Sized>(
    future: Pin<&mut F>,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    let nested = IN_USE
        .try_with(|in_use| in_use.replace(true))
        .unwrap_or(true);
    let shared = if nested {
        None
    } else {
        THREAD_WAKER.try_with(Arc::clone).ok()
    };
    // Only while this thread's locals are being destroyed, or inside
    // another blocking call on this thread: a waker of this call's own.
    let waker_state = shared.unwrap_or_else(ThreadWaker::for_this_thread);
    let output = poll_and_park(future, &waker_state, deadline);
    if !nested {
        // A wake that came after the last poll belongs to this call only.
        waker_state.notified.store(false, Ordering::Relaxed);
        let _ = IN_USE.try_with(|in_use| in_use.set(false));
    }
    output
}

fn poll_and_park<F: Future + ?Sized>(
    mut future: Pin<&mut F>,
    waker_state: &Arc<ThreadWaker>,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    let waker = Waker::from(Arc::clone(waker_state));
    let mut cx = Context::from_waker(&waker);
    loop {
        // Traced, what this poll spawns or wakes is stamped with its start.
        let polled =
            crate::trace::thread_poll(|| crate::coop::unlimited(|| future.as_mut().poll(&mut cx)));
        if let Poll::Ready(output) = polled {
            return Some(output);
        }
        while !waker_state.notified.swap(false, Ordering::Acquire) {
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    thread::park_timeout(deadline - now);
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn ready_future_needs_no_park() {
        assert_eq!(block_on(async { 5 }), 5);
    }

    #[test]
    fn pending_future_times_out() {
        let started = Instant::now();
        let result = block_on_timeout(std::future::pending::<()>(), Duration::from_millis(20));
        assert!(result.is_none());
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn woken_from_another_thread() {
        let (sender, mut receiver) = crate::sync::mpsc::channel::<u8>(1);
        let helper = thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            let _ = sender.send_blocking(9);
        });
        assert_eq!(block_on(receiver.recv()), Some(9));
        helper.join().unwrap();
    }

    #[test]
    fn a_nested_call_does_not_take_the_outer_calls_wake() {
        let (first_sender, mut first) = crate::sync::mpsc::channel::<u8>(1);
        let (second_sender, mut second) = crate::sync::mpsc::channel::<u8>(1);
        let helper = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            let _ = first_sender.send_blocking(1);
            thread::sleep(Duration::from_millis(20));
            let _ = second_sender.send_blocking(2);
        });
        let mut receiving = pin!(first.recv());
        let mut blocked_inside = false;
        // The outer call waits on `first`; inside its first poll a nested
        // call blocks on `second`, and `first`'s wake comes meanwhile. If
        // the nested call took that wake, the outer one would park forever.
        let outer = block_on_timeout(
            std::future::poll_fn(|cx| {
                if let Poll::Ready(value) = receiving.as_mut().poll(cx) {
                    return Poll::Ready(value);
                }
                if !blocked_inside {
                    blocked_inside = true;
                    assert_eq!(block_on(second.recv()), Some(2));
                }
                Poll::Pending
            }),
            Duration::from_secs(20),
        );
        assert_eq!(outer, Some(Some(1)));
        helper.join().unwrap();
    }
}
