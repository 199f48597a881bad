//! Which runtime the current thread belongs to.
//!
//! Entering a runtime sets three thread-locals at once: the runtime
//! [`Handle`] (for `deli::spawn`), and the reactor and timers of its driver
//! (which the low-level `io` and `time` modules look up themselves, so they
//! never need to know about runtimes). Also [`Handle::try_current`],
//! [`Handle::current`] and
//! the way a multi-thread worker thread enters its runtime.
//!
//! Uses `handle`; the schedulers below it reach the context only through
//! the entry function they are given.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;

use super::handle::{Handle, Kind};
use super::multi_thread;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// Restores the previous runtime context when dropped.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    previous: Option<Handle>,
    _io: crate::io::EnterGuard,
    _time: crate::time::EnterGuard,
}

/// Makes `handle` this thread's current runtime until the guard drops.
pub(crate) fn enter(handle: &Handle) -> EnterGuard {
    let driver = handle.driver();
    let io = crate::io::enter(&driver.reactor);
    let time = crate::time::enter(&driver.timers);
    let previous = CURRENT.with(|current| current.replace(Some(handle.clone())));
    EnterGuard {
        previous,
        _io: io,
        _time: time,
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

/// Runs `f` with this thread's current runtime, if there is one.
pub(crate) fn with_current<R>(f: impl FnOnce(&Handle) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| current.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// What a multi-thread worker thread runs first: it enters its runtime's
/// context, for as long as it keeps the returned guard.
pub(crate) fn enter_multi_thread_worker(shared: &Arc<multi_thread::Shared>) -> Box<dyn Any> {
    let handle = Handle::new(Kind::MultiThread(Arc::clone(shared)));
    Box::new(enter(&handle))
}

impl Handle {
    /// The runtime this thread is running in, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::Handle::try_current().is_none());
    /// deli::run(async {
    ///     assert!(deli::Handle::try_current().is_some());
    /// });
    /// ```
    pub fn try_current() -> Option<Handle> {
        with_current(Handle::clone)
    }

    /// The runtime this thread is running in: inside a task, inside
    /// `block_on`, or while a [`Runtime::enter`](super::Runtime::enter)
    /// guard lives.
    ///
    /// # Panics
    ///
    /// Outside any runtime, as tokio's `Handle::current` does; use
    /// [`Handle::try_current`] where that can happen.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// let handle = runtime.block_on(async { deli::Handle::current() });
    /// assert_eq!(handle.spawn(async { 7 }).wait(), Ok(7));
    /// assert!(std::panic::catch_unwind(deli::Handle::current).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(handle) => handle,
            None => panic!(
                "deli::Handle::current() was called outside a deli runtime \
                 (use Handle::try_current, or Runtime::enter on this thread first)"
            ),
        }
    }
}
