//! [`Mutex`]: mutual exclusion that async tasks await and plain threads
//! block on, over the same lock.
//!
//! One permit of [`Permits`](super::permits) guards a `T` in an
//! `UnsafeCell`: locking takes the permit (one atomic operation when the
//! lock is free), unlocking returns it and hands it straight to the first
//! waiter, so waiters are served in arrival order and none starves. It
//! replaced a wrapper of `async_lock::Mutex`, which the `sync/mutex-mt`
//! benchmark (`deli-bench -- sync`) measured at 1.5–1.7× tokio's time; it
//! also gives deli its own guard types, owned guards included. Uses
//! `super::permits` and `crate::block_on`.

use super::blocking_waits::blocking_waits;
use std::marker::PhantomData;
use std::sync::Arc;

use super::lock_cell::{guard_impls, lock_std_impls, LockCell};

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
    cell: LockCell<T>,
}

// SAFETY: the value is only reached through a guard, and one guard exists at
// a time (it holds the only permit), so sharing the mutex shares `T` between
// threads one at a time: `T: Send` is enough, as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

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
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Sync only where `T` is: the guard hands out `&T`.
    _value: PhantomData<&'a mut T>,
}

/// A [`MutexGuard`] that holds its mutex by `Arc`, so it can be moved into
/// a spawned task or another thread; from [`Mutex::lock_owned`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Mutex;
///
/// let mutex = Arc::new(Mutex::new(0));
/// let mut guard = mutex.try_lock_owned().unwrap();
/// std::thread::spawn(move || *guard += 1).join().unwrap();
/// assert_eq!(*mutex.try_lock().unwrap(), 1);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
    _value: PhantomData<T>,
}

impl<T> Mutex<T> {
    crate::loom::const_unless_loom! {
        /// An unlocked mutex around `value`.
        ///
        /// # Examples
        ///
        /// ```
        /// static TOTAL: deli::sync::Mutex<u32> = deli::sync::Mutex::new(0);
        /// *TOTAL.lock_blocking() += 1;
        /// ```
        pub fn new(value: T) -> Mutex<T> {
            Mutex {
                cell: LockCell::new(1, value),
            }
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
        self.cell.into_inner()
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
        self.cell.permits().acquire_unclosable(1).await;
        MutexGuard {
            mutex: self,
            _value: PhantomData,
        }
    }

    /// Waits until the lock is free and takes it, in a guard that holds
    /// the mutex by `Arc`. Cancel-safe, as [`lock`](Mutex::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// deli::run(async {
    ///     let mutex = Arc::new(deli::sync::Mutex::new(0));
    ///     let mut guard = mutex.lock_owned().await;
    ///     let ticket = deli::spawn(async move { *guard += 1 });
    ///     ticket.await.unwrap();
    ///     assert_eq!(*mutex.lock().await, 1);
    /// });
    /// ```
    pub async fn lock_owned(self: &Arc<Self>) -> OwnedMutexGuard<T> {
        self.cell.permits().acquire_unclosable(1).await;
        OwnedMutexGuard {
            mutex: Arc::clone(self),
            _value: PhantomData,
        }
    }

    blocking_waits!(lock -> MutexGuard<'_, T>, "the lock is free, and takes it",
        lock_blocking, lock_blocking_timeout, lock_timeout, [
        "let mutex = deli::sync::Mutex::new(1);\n*mutex.lock_blocking() += 1;\nassert_eq!(*mutex.lock_blocking(), 2);",
        "let mutex = deli::sync::Mutex::new(());\nlet held = mutex.lock_blocking();\nassert!(mutex.lock_blocking_timeout(Duration::from_millis(5)).is_none());\ndrop(held);\nassert!(mutex.lock_blocking_timeout(Duration::from_secs(1)).is_some());"
    ]);

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
        self.cell
            .permits()
            .try_acquire(1)
            .ok()
            .map(|()| MutexGuard {
                mutex: self,
                _value: PhantomData,
            })
    }

    /// Takes the lock if it is free right now, in a guard that holds the
    /// mutex by `Arc`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(deli::sync::Mutex::new(0));
    /// let held = mutex.try_lock_owned().unwrap();
    /// assert!(mutex.try_lock_owned().is_none());
    /// drop(held);
    /// assert!(mutex.try_lock_owned().is_some());
    /// ```
    pub fn try_lock_owned(self: &Arc<Self>) -> Option<OwnedMutexGuard<T>> {
        self.cell
            .permits()
            .try_acquire(1)
            .ok()
            .map(|()| OwnedMutexGuard {
                mutex: Arc::clone(self),
                _value: PhantomData,
            })
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
        self.cell.get_mut()
    }
}

lock_std_impls!(Mutex, try_lock);
guard_impls!(exclusive MutexGuard<'_, T>, mutex, 1);
guard_impls!(exclusive OwnedMutexGuard<T>, mutex, 1);

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(deli::sync::Mutex::new(0));
    /// let guard = mutex.try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.mutex(), &mutex));
    /// ```
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}
