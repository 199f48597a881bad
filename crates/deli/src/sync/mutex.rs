//! [`Mutex`]: mutual exclusion that async tasks await and plain threads
//! block on, over the same lock.
//!
//! A thin layer over `async_lock::Mutex` (which spins briefly, then parks
//! waiters on `event-listener`, and turns fair when a waiter has starved
//! for half a millisecond); this module adds the `_blocking` and
//! `_timeout` forms through [`super::block`] and deli's documentation.
//! The `sync/mutex-mt` benchmark (`deli-bench -- sync`) compares it with
//! tokio's. Uses `async-lock` and `super::block`.

use std::fmt;
use std::time::Duration;

use super::block;

/// A lock around a `T` that async tasks (on any executor) and plain threads
/// share: [`lock`](Mutex::lock) from async code, [`lock_blocking`](Mutex::lock_blocking)
/// from threads, [`try_lock`](Mutex::try_lock) from either. The guard may be
/// held across `.await`. There is no poisoning: a panic while the guard is
/// held unlocks the mutex and leaves `T` as the panic found it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Mutex;
///
/// let counter = Arc::new(Mutex::new(0u64));
/// let thread_side = Arc::clone(&counter);
/// let thread = std::thread::spawn(move || {
///     for _ in 0..100 {
///         *thread_side.lock_blocking() += 1;
///     }
/// });
/// deli::run(async {
///     for _ in 0..100 {
///         *counter.lock().await += 1;
///     }
/// });
/// thread.join().unwrap();
/// assert_eq!(*counter.lock_blocking(), 200);
/// ```
pub struct Mutex<T: ?Sized> {
    inner: async_lock::Mutex<T>,
}

/// Proof of holding a [`Mutex`]: derefs to the `T` inside, unlocks on drop.
///
/// # Examples
///
/// ```
/// let mutex = deli::sync::Mutex::new(vec![1]);
/// let mut guard: deli::sync::MutexGuard<'_, Vec<i32>> = mutex.lock_blocking();
/// guard.push(2);
/// drop(guard);
/// assert_eq!(*mutex.lock_blocking(), [1, 2]);
/// ```
pub type MutexGuard<'a, T> = async_lock::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    /// An unlocked mutex around `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// static TOTAL: deli::sync::Mutex<u32> = deli::sync::Mutex::new(0);
    /// *TOTAL.lock_blocking() += 1;
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            inner: async_lock::Mutex::new(value),
        }
    }

    /// Under loom, whose primitives have no `const` constructors.
    #[cfg(loom)]
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            inner: async_lock::Mutex::new(value),
        }
    }

    /// The value inside; no locking needed when the mutex is owned.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = deli::sync::Mutex::new(3);
    /// assert_eq!(mutex.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the lock is free and takes it.
    ///
    /// Cancel-safe: a future dropped before it finishes holds nothing, and
    /// the wake-up meant for it passes to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let mutex = deli::sync::Mutex::new(String::from("a"));
    ///     mutex.lock().await.push('b');
    ///     assert_eq!(*mutex.lock().await, "ab");
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        crate::coop::spend().await;
        self.inner.lock().await
    }

    /// Blocks this thread until the lock is free and takes it.
    ///
    /// For plain threads: in an async task it stalls the worker, and if a
    /// task on the same worker holds the lock it never comes free — await
    /// [`lock`](Mutex::lock) there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = deli::sync::Mutex::new(1);
    /// *mutex.lock_blocking() += 1;
    /// assert_eq!(*mutex.lock_blocking(), 2);
    /// ```
    pub fn lock_blocking(&self) -> MutexGuard<'_, T> {
        block::block_on(self.inner.lock())
    }

    /// Blocks this thread for at most `timeout` waiting for the lock;
    /// `None` if it did not come free in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mutex = deli::sync::Mutex::new(());
    /// let held = mutex.lock_blocking();
    /// assert!(mutex.lock_timeout(Duration::from_millis(5)).is_none());
    /// drop(held);
    /// assert!(mutex.lock_timeout(Duration::from_secs(1)).is_some());
    /// ```
    pub fn lock_timeout(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        block::block_on_timeout(self.inner.lock(), timeout)
    }

    /// Takes the lock if it is free right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let mutex = deli::sync::Mutex::new(0);
    /// let held = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_none());
    /// drop(held);
    /// assert!(mutex.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.inner.try_lock()
    }

    /// The value inside, through `&mut` — no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut mutex = deli::sync::Mutex::new(1);
    /// *mutex.get_mut() = 5;
    /// assert_eq!(mutex.into_inner(), 5);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => out.field("value", &&*guard),
            None => out.field("value", &format_args!("<locked>")),
        };
        out.finish()
    }
}
