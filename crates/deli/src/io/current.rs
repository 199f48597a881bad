//! The thread-local "current reactor", which [`Async::new`](super::Async::new)
//! registers with. The runtime enters its reactor on every thread that runs
//! its tasks. Uses `crate::current_slot`.

use std::cell::RefCell;
use std::sync::Arc;

use super::reactor::Reactor;
use crate::current_slot;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Reactor>>> = const { RefCell::new(None) };
}

/// Restores the previously current reactor when dropped.
pub(crate) type EnterGuard = current_slot::EnterGuard<Reactor>;

/// Makes `reactor` current on this thread until the guard is dropped, which
/// restores the previous one (entering nests).
pub(crate) fn enter(reactor: &Arc<Reactor>) -> EnterGuard {
    current_slot::enter(&CURRENT, reactor)
}

/// The reactor entered on this thread, if any.
pub(crate) fn current() -> Option<Arc<Reactor>> {
    current_slot::current(&CURRENT)
}
