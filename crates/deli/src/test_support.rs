//! Helpers shared by the library's unit tests (compiled for tests only):
//! a bounded thread-parking `block_on`, a waker that counts its wake-ups, a
//! future polled by hand with one, and a context that ignores wake-ups.
//! Module-specific executors stay beside their modules (`io/tests`,
//! `time/test_support.rs`).

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// A waker that counts how often it was woken.
#[derive(Debug, Default)]
pub(crate) struct CountingWaker {
    wakes: AtomicUsize,
}

impl CountingWaker {
    pub(crate) fn new() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A context whose waker does nothing, for polls whose wake-ups a test
/// does not watch.
pub(crate) fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// A future polled by hand, always with the same counting waker, so a
/// test can see whether (and how often) the future asked to be polled
/// again.
pub(crate) struct HandPolled<F> {
    future: Pin<Box<F>>,
    counter: Arc<CountingWaker>,
    waker: Waker,
}

impl<F: Future> HandPolled<F> {
    /// Polls `future` once and checks that it is waiting.
    #[track_caller]
    pub(crate) fn pending(future: F) -> HandPolled<F> {
        let (counter, waker) = CountingWaker::new();
        let mut polled = HandPolled {
            future: Box::pin(future),
            counter,
            waker,
        };
        assert!(polled.poll().is_pending(), "ready at its first poll");
        polled
    }

    pub(crate) fn poll(&mut self) -> Poll<F::Output> {
        let mut cx = Context::from_waker(&self.waker);
        self.future.as_mut().poll(&mut cx)
    }

    /// How often the future's waker was woken so far.
    pub(crate) fn wakes(&self) -> usize {
        self.counter.wakes()
    }
}

/// Wakes the thread that made it: sets its flag and unparks it.
struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// A waker that unparks this thread.
pub(crate) fn thread_waker() -> Waker {
    Waker::from(Arc::new(ThreadWaker {
        thread: thread::current(),
        woken: AtomicBool::new(true),
    }))
}

/// Polls `future` on this thread, parking between wake-ups (it is polled
/// again only once woken); `None` if it is not done within `bound`.
pub(crate) fn block_on_bounded<F: Future>(future: F, bound: Duration) -> Option<F::Output> {
    let deadline = Instant::now() + bound;
    let waker_state = Arc::new(ThreadWaker {
        thread: thread::current(),
        woken: AtomicBool::new(true),
    });
    let waker = Waker::from(Arc::clone(&waker_state));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if waker_state.woken.swap(false, Ordering::AcqRel) {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return Some(output);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        thread::park_timeout(deadline - now);
    }
}
