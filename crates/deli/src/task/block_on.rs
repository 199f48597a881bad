//! A minimal blocking executor for one future on the calling thread: what
//! `Ticket::wait` and a multi-thread runtime's `block_on` use.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
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

/// Polls `future` on this thread until it is ready or `deadline` passes,
/// parking in between. Returns `None` on timeout, leaving the future as it
/// is (it can be polled again later).
pub(crate) fn block_on<F: Future + ?Sized>(
    mut future: Pin<&mut F>,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    let waker_state = Arc::new(ThreadWaker {
        thread: thread::current(),
        notified: AtomicBool::new(false),
    });
    let waker = Waker::from(waker_state.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        // This thread is its own executor: a budget spent by the task it
        // may be blocking inside must not make it yield to nobody (it would
        // spin, woken by its own yield, forever).
        if let Poll::Ready(output) = crate::coop::unlimited(|| future.as_mut().poll(&mut cx)) {
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
