//! The fast-path slot: one task, put by its worker, taken by its worker or
//! by a thief.
//!
//! A single atomic pointer swapped in and out, so the owner and a thief can
//! never both get the task: whoever swaps it out owns it.

use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::task::Runnable;

#[derive(Debug)]
pub(crate) struct LifoSlot {
    task: AtomicPtr<()>,
}

impl LifoSlot {
    pub(crate) fn new() -> LifoSlot {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Puts `task` in the slot and returns the task it displaced.
    pub(crate) fn replace(&self, task: Runnable) -> Option<Runnable> {
        let new = task.into_raw().as_ptr();
        // AcqRel: publish the new task to a thief, and acquire the old one
        // (which a thief may never have seen, but the owner put it there).
        let old = self.task.swap(new, Ordering::AcqRel);
        // SAFETY: every non-null pointer in the slot came from
        // `Runnable::into_raw` and is swapped out exactly once.
        NonNull::new(old).map(|old| unsafe { Runnable::from_raw(old) })
    }

    /// Takes the task out, if any.
    pub(crate) fn take(&self) -> Option<Runnable> {
        if self.task.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let old = self.task.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: as in `replace`: the swap made us the only owner.
        NonNull::new(old).map(|old| unsafe { Runnable::from_raw(old) })
    }

    pub(crate) fn is_occupied(&self) -> bool {
        !self.task.load(Ordering::Acquire).is_null()
    }
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}
