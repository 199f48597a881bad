//! The thread-local "current reactor", which [`Async::new`](super::Async::new)
//! registers with. The runtime enters its reactor on every thread that runs
//! its tasks.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Arc;

use super::reactor::Reactor;

thread_local! {
    static CURRENT: Cell<Option<Arc<Reactor>>> = const { Cell::new(None) };
}

/// Makes `reactor` current on this thread until the guard is dropped, which
/// restores the previous one (entering nests).
pub(crate) fn enter(reactor: &Arc<Reactor>) -> EnterGuard {
    // During thread teardown the slot may be gone; then nothing is entered
    // and nothing is restored.
    let previous = CURRENT
        .try_with(|current| current.replace(Some(Arc::clone(reactor))))
        .ok()
        .flatten();
    EnterGuard {
        previous,
        _not_send: PhantomData,
    }
}

/// The reactor entered on this thread, if any.
pub(crate) fn current() -> Option<Arc<Reactor>> {
    CURRENT
        .try_with(|current| {
            let reactor = current.take();
            let copy = reactor.clone();
            current.set(reactor);
            copy
        })
        .ok()
        .flatten()
}

/// Restores the previously current reactor when dropped. It must be dropped
/// on the thread that created it, hence not `Send`.
#[derive(Debug)]
#[must_use = "the reactor stays current only while the guard lives"]
pub(crate) struct EnterGuard {
    previous: Option<Arc<Reactor>>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The replaced reactor is dropped after the slot is updated.
        let _entered = CURRENT
            .try_with(|current| current.replace(previous))
            .ok()
            .flatten();
    }
}
