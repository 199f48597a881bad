//! A thread's "current" value of one kind — its reactor, its timer driver —
//! made current for as long as a guard lives and restored after it, so
//! entering nests; and a thread's current pointer of one kind — the task
//! or the scope node being polled — set for as long as a piece of work
//! runs. A leaf: `io` and `time` each keep a value slot, `task` and
//! `scope` a pointer slot.
//!
//! During thread teardown a slot may already be gone; then nothing is
//! entered, nothing is restored, and there is no current value.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr;
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

/// The thread-local cell one kind of current pointer lives in.
pub(crate) type PointerSlot<T> = LocalKey<Cell<*const T>>;

/// Runs `work` with `pointer` current in `slot`, then puts the previous
/// pointer back, also when `work` unwinds. Returns `work`'s output and the
/// pointer the slot held when `work` returned (`work` may have marked it).
#[inline]
pub(crate) fn with_pointer<T: 'static, R>(
    slot: &'static PointerSlot<T>,
    pointer: *const T,
    work: impl FnOnce() -> R,
) -> (R, *const T) {
    /// Puts the previous pointer back if `work` unwinds.
    struct Restore<T: 'static> {
        slot: &'static PointerSlot<T>,
        previous: *const T,
    }
    impl<T: 'static> Drop for Restore<T> {
        fn drop(&mut self) {
            let _ = self.slot.try_with(|current| current.set(self.previous));
        }
    }
    let previous = slot
        .try_with(|current| current.replace(pointer))
        .unwrap_or(ptr::null());
    let restore = Restore { slot, previous };
    let output = work();
    // Returned normally: restore here, reading the last pointer on the way.
    std::mem::forget(restore);
    let last = slot
        .try_with(|current| current.replace(previous))
        .unwrap_or(ptr::null());
    (output, last)
}
