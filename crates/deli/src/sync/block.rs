//! The blocking forms of every primitive in [`crate::sync`]: drive one of
//! its futures to completion on the calling thread, parking the thread
//! while the future waits.
//!
//! One mechanism for all blocking methods means one behaviour: a blocking
//! call is exactly its async twin run on a thread, with the same fairness,
//! the same errors and — for the `_timeout` forms, which drop the future at
//! the deadline — the same cancel-safety. Uses `std` only.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// Wakes a parked thread. Unpark tokens make the hand-off race-free: a wake
/// that lands between a `Pending` poll and `park` makes `park` return at once.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    // One waker per thread, so a blocking call allocates nothing.
    static THREAD_WAKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
}

fn with_thread_waker<R>(f: impl FnOnce(&Waker) -> R) -> R {
    let mut f = Some(f);
    let result = THREAD_WAKER.try_with(|waker| f.take().map(|f| f(waker)));
    match result {
        Ok(Some(value)) => value,
        // Only while this thread's locals are being destroyed: build a fresh waker.
        _ => {
            let waker = Waker::from(Arc::new(Unparker(thread::current())));
            match f.take() {
                Some(f) => f(&waker),
                // `try_with` failed before calling `f`, so it is still here.
                None => unreachable!("the closure ran but its result was lost"),
            }
        }
    }
}

/// Runs `future` to completion on this thread.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    with_thread_waker(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            thread::park();
        }
    })
}

/// Runs `future` on this thread until it finishes (`Some`) or `timeout` has
/// passed (`None`; the future is dropped unfinished).
pub(crate) fn block_on_timeout<F: Future>(future: F, timeout: Duration) -> Option<F::Output> {
    let deadline = Instant::now().checked_add(timeout);
    let mut future = pin!(future);
    with_thread_waker(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Some(output);
            }
            match deadline {
                // Too far away to represent: as good as no deadline.
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
    })
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
        assert_eq!(block_on(receiver.recv()), Ok(9));
        helper.join().unwrap();
    }
}
