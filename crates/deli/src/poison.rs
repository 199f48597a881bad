//! Taking a lock whose holder panicked: deli carries on with the data.
//!
//! deli's own sections under a `std` lock keep their data consistent at
//! every step (they move values in and out, bump counters, swap flags), and
//! user code that can panic runs outside them. So a poisoned lock's data is
//! still good, and passing the poison on would turn one panic — a user's,
//! on some thread that happened to hold the lock — into a panic of every
//! later caller: a worker, a waker, a `Drop`. A leaf: uses `std` only.

use std::sync::{LockResult, PoisonError};

/// A lock's result, poisoned or not, as the guard (or whatever the lock
/// call hands back with it).
pub(crate) trait IgnorePoison<T> {
    /// The value, whether or not a holder of the lock panicked.
    fn ignore_poison(self) -> T;
}

impl<T> IgnorePoison<T> for LockResult<T> {
    fn ignore_poison(self) -> T {
        self.unwrap_or_else(PoisonError::into_inner)
    }
}
