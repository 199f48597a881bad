//! Helpers shared by the library's unit tests (compiled for tests only):
//! a waker that counts its wake-ups, a future polled by hand with one, and
//! a context that ignores wake-ups.
//! Module-specific executors stay beside their modules (`io/tests`,
//! `time/test_support.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

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
