//! The fast-path slot: one task, put by its worker, taken by its worker or
//! by a thief.
//!
//! A single atomic pointer swapped in and out, so the owner and a thief can
//! never both get the task: whoever swaps it out owns it. The loom model
//! below checks exactly that, with the owner replacing and taking while a
//! thief takes.

use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use crate::loom::sync::atomic::{AtomicPtr, Ordering};
use crate::task::Runnable;

/// A task that can travel as one raw pointer.
pub(crate) trait RawTask: Sized {
    fn into_raw(self) -> NonNull<()>;
    /// # Safety
    ///
    /// `ptr` must come from `into_raw` of the same type and be used once.
    unsafe fn from_raw(ptr: NonNull<()>) -> Self;
}

impl RawTask for Runnable {
    fn into_raw(self) -> NonNull<()> {
        Runnable::into_raw(self)
    }

    unsafe fn from_raw(ptr: NonNull<()>) -> Self {
        // SAFETY: the caller hands back a pointer from `into_raw`, once.
        unsafe { Runnable::from_raw(ptr) }
    }
}

#[derive(Debug)]
pub(crate) struct LifoSlot<T: RawTask = Runnable> {
    task: AtomicPtr<()>,
    _owns: PhantomData<T>,
}

impl<T: RawTask> LifoSlot<T> {
    pub(crate) fn new() -> LifoSlot<T> {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// Puts `task` in the slot and returns the task it displaced.
    pub(crate) fn replace(&self, task: T) -> Option<T> {
        let new = task.into_raw().as_ptr();
        // AcqRel: publish the new task to a thief, and acquire the old one.
        let old = self.task.swap(new, Ordering::AcqRel);
        // SAFETY: every non-null pointer in the slot came from `into_raw`
        // and is swapped out exactly once: by this swap.
        NonNull::new(old).map(|old| unsafe { T::from_raw(old) })
    }

    /// Takes the task out, if any.
    pub(crate) fn take(&self) -> Option<T> {
        if self.task.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let old = self.task.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: as in `replace`: the swap made us the only owner.
        NonNull::new(old).map(|old| unsafe { T::from_raw(old) })
    }

    pub(crate) fn is_occupied(&self) -> bool {
        !self.task.load(Ordering::Acquire).is_null()
    }
}

impl<T: RawTask> Drop for LifoSlot<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::Arc;
    use loom::thread;

    /// A boxed task that counts how often it is dropped.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl RawTask for Box<Counted> {
        fn into_raw(self) -> NonNull<()> {
            NonNull::from(Box::leak(self)).cast()
        }

        unsafe fn from_raw(ptr: NonNull<()>) -> Self {
            // SAFETY: the pointer came from `Box::leak` in `into_raw`.
            unsafe { Box::from_raw(ptr.cast::<Counted>().as_ptr()) }
        }
    }

    #[test]
    fn loom_owner_and_thief_never_share_a_task() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Arc::new(LifoSlot::<Box<Counted>>::new());
            let thief = {
                let slot = slot.clone();
                thread::spawn(move || slot.take().map(drop).is_some())
            };
            let displaced = slot.replace(Box::new(Counted(drops.clone())));
            assert!(displaced.is_none());
            let displaced = slot.replace(Box::new(Counted(drops.clone())));
            drop(displaced);
            let owner_took = slot.take().map(drop).is_some();
            let thief_took = thief.join().unwrap();
            drop(slot);
            // Two tasks went in; each is dropped exactly once, by whoever
            // swapped it out (or by the slot's own drop).
            assert_eq!(drops.load(Ordering::SeqCst), 2);
            let _ = (owner_took, thief_took);
        });
    }
}
