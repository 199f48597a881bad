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

/// What every lock type built on a [`LockCell`] implements alike: `Default`
/// and `From<T>` through `new`, and `Debug` showing the value when
/// `$try_shared` gets it without waiting (`<locked>` otherwise).
macro_rules! lock_std_impls {
    ($lock:ident, $try_shared:ident) => {
        impl<T: Default> Default for $lock<T> {
            fn default() -> $lock<T> {
                $lock::new(T::default())
            }
        }

        impl<T> From<T> for $lock<T> {
            fn from(value: T) -> $lock<T> {
                $lock::new(value)
            }
        }

        impl<T: std::fmt::Debug + ?Sized> std::fmt::Debug for $lock<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut out = f.debug_struct(stringify!($lock));
                match self.$try_shared() {
                    Some(guard) => out.field("value", &&*guard),
                    None => out.field("value", &format_args!("<locked>")),
                };
                out.finish()
            }
        }
    };
}
pub(super) use lock_std_impls;

/// What every guard of a [`LockCell`] implements alike: `Deref` to the
/// value (`DerefMut` too for an `exclusive` guard), `Drop` giving back the
/// `$permits` permits it holds through its `$lock` field, and
/// `Debug`/`Display` as the value.
macro_rules! guard_impls {
    (exclusive $guard:ty, $lock:ident, $permits:expr) => {
        guard_impls!(shared $guard, $lock, $permits);

        impl<T: ?Sized> std::ops::DerefMut for $guard {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: an exclusive guard holds as many permits as make
                // exclusive access for its lock type, so no other guard
                // exists, and `&mut self` makes this the only reference
                // through this one.
                unsafe { self.$lock.cell.exclusive() }
            }
        }
    };
    (shared $guard:ty, $lock:ident, $permits:expr) => {
        impl<T: ?Sized> std::ops::Deref for $guard {
            type Target = T;

            fn deref(&self) -> &T {
                // SAFETY: the guard holds at least one permit, so no
                // exclusive guard (which needs every permit a shared one
                // would take) holds `&mut T` while it lives.
                unsafe { self.$lock.cell.shared() }
            }
        }

        impl<T: ?Sized> Drop for $guard {
            fn drop(&mut self) {
                self.$lock.cell.permits().release($permits);
            }
        }

        impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for $guard {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: ?Sized + std::fmt::Display> std::fmt::Display for $guard {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&**self, f)
            }
        }
    };
}
pub(super) use guard_impls;

/// Models of both lock types over the one cell: the value sits in loom's
/// `UnsafeCell`, so loom flags any access not ordered after the previous
/// holder's.
#[cfg(all(test, loom))]
mod loom_models {
    use super::super::{Mutex, RwLock};
    use loom::future::block_on;
    use loom::thread;

    /// Both the mutex's fast path and its hand-off to a waiter publish the
    /// holder's writes.
    #[test]
    fn loom_mutex_hand_off_publishes_the_holders_writes() {
        crate::loom::model_bounded(3, || {
            let mutex = crate::loom::sync::Arc::new(Mutex::new(0u32));
            let other = crate::loom::sync::Arc::clone(&mutex);
            let contender = thread::spawn(move || *block_on(other.lock()) += 1);
            *block_on(mutex.lock()) += 1;
            contender.join().unwrap();
            assert_eq!(*mutex.try_lock().unwrap(), 2);
        });
    }

    /// A reader sees the value before or after the writer's write, never a
    /// write racing its read.
    #[test]
    fn loom_rwlock_readers_see_the_writers_value() {
        crate::loom::model_bounded(3, || {
            let lock = crate::loom::sync::Arc::new(RwLock::new(0u32));
            let writer = {
                let lock = crate::loom::sync::Arc::clone(&lock);
                thread::spawn(move || *block_on(lock.write()) = 1)
            };
            let seen = *block_on(lock.read());
            assert!(seen == 0 || seen == 1);
            writer.join().unwrap();
            assert_eq!(*block_on(lock.read()), 1);
        });
    }
}
