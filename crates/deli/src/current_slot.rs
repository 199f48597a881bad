//! A thread's "current" value of one kind — its reactor, its timer driver —
//! made current for as long as a guard lives and restored after it, so
//! entering nests. A leaf: `io` and `time` each keep one slot.
//!
//! During thread teardown a slot may already be gone; then nothing is
//! entered, nothing is restored, and there is no current value.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;
use std::thread::LocalKey;

/// The thread-local cell one kind of current value lives in.
pub(crate) type Slot<T> = LocalKey<RefCell<Option<Arc<T>>>>;

/// Makes `value` current in `slot` on this thread until the guard drops.
pub(crate) fn enter<T: 'static>(slot: &'static Slot<T>, value: &Arc<T>) -> EnterGuard<T> {
    let previous = slot
        .try_with(|current| current.replace(Some(Arc::clone(value))))
        .ok()
        .flatten();
    EnterGuard {
        slot,
        previous,
        _not_send: PhantomData,
    }
}

/// The value current in `slot` on this thread, if any.
pub(crate) fn current<T: 'static>(slot: &'static Slot<T>) -> Option<Arc<T>> {
    with_current(slot, Arc::clone)
}

/// Runs `f` with the value current in `slot` (without cloning the `Arc`),
/// if there is one.
pub(crate) fn with_current<T: 'static, R>(
    slot: &'static Slot<T>,
    f: impl FnOnce(&Arc<T>) -> R,
) -> Option<R> {
    slot.try_with(|current| current.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Restores the previously current value when dropped. It must be dropped
/// on the thread that created it, hence not `Send`.
#[derive(Debug)]
#[must_use = "the value stays current only while the guard lives"]
pub(crate) struct EnterGuard<T: 'static> {
    slot: &'static Slot<T>,
    previous: Option<Arc<T>>,
    _not_send: PhantomData<*const ()>,
}

impl<T: 'static> Drop for EnterGuard<T> {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The replaced value is dropped after the slot is updated (its
        // drop may look at the slot).
        let replaced = self.slot.try_with(|current| current.replace(previous));
        drop(replaced);
    }
}
