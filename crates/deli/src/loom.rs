//! One place that picks the real or the model-checked primitives.
//!
//! Lock-free code in deli imports its atomics, `UnsafeCell` and threads from
//! here, so that `RUSTFLAGS="--cfg loom"` swaps in loom's versions and the
//! same code runs under the model checker. Nothing else lives here.

#[cfg(loom)]
pub(crate) use loom::{cell, sync};

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard};
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
        };
    }
}

/// `UnsafeCell` with loom's closure-based access API, so that code written
/// against it compiles unchanged with and without `--cfg loom`.
#[cfg(not(loom))]
pub(crate) mod cell {
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(data: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(data))
        }

        pub(crate) fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// Runs a loom model exploring schedules with at most `preemptions` forced
/// thread switches (unless `LOOM_MAX_PREEMPTIONS` says otherwise): the
/// bound keeps the models of the sync primitives within CI's time while
/// still covering every interleaving of up to that many switches.
#[cfg(all(test, loom))]
pub(crate) fn model_bounded(preemptions: usize, model: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(preemptions);
    builder.check(model);
}

/// Declares a constructor `const` in normal builds and plain under
/// `--cfg loom`, whose atomics and mutexes have no `const` constructors:
/// one body for both, so the two cannot drift apart.
macro_rules! const_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $($rest)*

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $($rest)*
    };
}
pub(crate) use const_unless_loom;
