//! What [`Mutex`](super::Mutex) and [`RwLock`](super::RwLock) share: a
//! value behind a pool of [`Permits`]. A guard holds some of the permits;
//! the lock type says how many make shared and how many make exclusive
//! access (a mutex: one is exclusive; a reader-writer lock: one is shared,
//! all are exclusive). Uses `super::permits` and `crate::loom`.

use super::permits::Permits;
use crate::loom::cell::UnsafeCell;

/// A value and the permits that guard it.
pub(super) struct LockCell<T: ?Sized> {
    permits: Permits,
    value: UnsafeCell<T>,
}

impl<T> LockCell<T> {
    crate::loom::const_unless_loom! {
        /// `value`, guarded by a pool of `permits`, all free.
        pub(super) fn new(permits: usize, value: T) -> LockCell<T> {
            LockCell {
                permits: Permits::new(permits),
                value: UnsafeCell::new(value),
            }
        }
    }

    pub(super) fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> LockCell<T> {
    pub(super) fn permits(&self) -> &Permits {
        &self.permits
    }

    /// The value, through `&mut`: no guard can exist.
    pub(super) fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` proves no guard (and no other reference to
        // the value) exists.
        self.value.with_mut(|value| unsafe { &mut *value })
    }

    /// The value, shared.
    ///
    /// # Safety
    ///
    /// The caller holds permits that exclude every exclusive holder for as
    /// long as the reference lives.
    pub(super) unsafe fn shared(&self) -> &T {
        // SAFETY: the caller's permits keep `&mut T` from existing.
        self.value.with(|value| unsafe { &*value })
    }

    /// The value, exclusively.
    ///
    /// # Safety
    ///
    /// The caller holds permits that exclude every other holder, and no
    /// other reference it made from them lives as long as this one.
    #[allow(clippy::mut_from_ref)] // the permits make it exclusive
    pub(super) unsafe fn exclusive(&self) -> &mut T {
        // SAFETY: the caller's permits make this the only reference.
        self.value.with_mut(|value| unsafe { &mut *value })
    }
}
