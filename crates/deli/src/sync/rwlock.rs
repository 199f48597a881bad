//! [`RwLock`]: many readers or one writer, for async tasks and plain
//! threads over the same lock.
//!
//! Built on [`Permits`](super::permits) like [`Mutex`](super::Mutex): the
//! lock is a pool of [`MAX_READERS`] permits; a reader takes one, a writer
//! takes them all. Waiters are served in arrival order, so a waiting writer
//! holds back the readers behind it (writers are not starved) and the
//! readers behind a writer go in together once it is done. It replaced a
//! wrapper of `async_lock::RwLock` together with the mutex (see there for
//! the benchmark). Uses `super::permits` and `crate::block_on`.

use super::blocking_waits::blocking_waits;
use std::marker::PhantomData;

use super::lock_cell::{guard_impls, lock_std_impls, LockCell};

/// How many readers may hold an [`RwLock`] at once; a writer takes all.
const MAX_READERS: usize = (u32::MAX >> 3) as usize;

/// A reader-writer lock around a `T`: any number of readers at once, or one
/// writer alone. Async tasks await [`read`](RwLock::read) and
/// [`write`](RwLock::write); plain threads call the `_blocking` forms. Once
/// a writer waits, new readers queue behind it, so writers are not starved.
///
/// # Examples
///
/// ```
/// use deli::sync::RwLock;
///
/// deli::run(async {
///     let config = RwLock::new(String::from("v1"));
///     {
///         let first = config.read().await;
///         let second = config.read().await; // readers share
///         assert_eq!(*first, *second);
///     }
///     config.write().await.push_str("-patched");
///     assert_eq!(*config.read().await, "v1-patched");
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    cell: LockCell<T>,
}

// SAFETY: a writer's guard gives one thread `&mut T` at a time (it holds
// every permit), so moving or sharing the lock needs `T: Send`; readers'
// guards give several threads `&T` at once, which needs `T: Sync` — the
// bounds of `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to an [`RwLock`]'s value; released on drop.
///
/// # Examples
///
/// ```
/// let lock = deli::sync::RwLock::new(5);
/// let guard: deli::sync::RwLockReadGuard<'_, i32> = lock.read_blocking();
/// assert_eq!(*guard, 5);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _value: PhantomData<&'a T>,
}

/// Exclusive access to an [`RwLock`]'s value; released on drop.
///
/// # Examples
///
/// ```
/// let lock = deli::sync::RwLock::new(5);
/// let mut guard: deli::sync::RwLockWriteGuard<'_, i32> = lock.write_blocking();
/// *guard += 1;
/// drop(guard);
/// assert_eq!(*lock.read_blocking(), 6);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    _value: PhantomData<&'a mut T>,
}

impl<T> RwLock<T> {
    crate::loom::const_unless_loom! {
        /// An unlocked lock around `value`.
        ///
        /// # Examples
        ///
        /// ```
        /// static TABLE: deli::sync::RwLock<Vec<u8>> = deli::sync::RwLock::new(Vec::new());
        /// TABLE.write_blocking().push(1);
        /// assert_eq!(TABLE.read_blocking().len(), 1);
        /// ```
        pub fn new(value: T) -> RwLock<T> {
            RwLock {
                cell: LockCell::new(MAX_READERS, value),
            }
        }
    }

    /// The value inside; no locking needed when the lock is owned.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::sync::RwLock::new(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.cell.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access.
    ///
    /// Cancel-safe: a future dropped before it finishes holds nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let lock = deli::sync::RwLock::new(1);
    ///     assert_eq!(*lock.read().await, 1);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.cell.permits().acquire_unclosable(1).await;
        RwLockReadGuard {
            lock: self,
            _value: PhantomData,
        }
    }

    /// Waits for exclusive access.
    ///
    /// Cancel-safe: a future dropped before it finishes holds nothing, and
    /// readers it was holding back go ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let lock = deli::sync::RwLock::new(1);
    ///     *lock.write().await = 2;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.cell.permits().acquire_unclosable(MAX_READERS).await;
        RwLockWriteGuard {
            lock: self,
            _value: PhantomData,
        }
    }

    blocking_waits!(read -> RwLockReadGuard<'_, T>, "shared access is possible, and takes it",
        read_blocking, read_blocking_timeout, read_timeout, [
        "let lock = deli::sync::RwLock::new(\"x\");\nassert_eq!(*lock.read_blocking(), \"x\");",
        "let lock = deli::sync::RwLock::new(0);\nlet writer = lock.write_blocking();\nassert!(lock.read_blocking_timeout(Duration::from_millis(5)).is_none());\ndrop(writer);\nassert!(lock.read_blocking_timeout(Duration::from_secs(1)).is_some());"
    ]);

    blocking_waits!(write -> RwLockWriteGuard<'_, T>, "exclusive access is possible, and takes it",
        write_blocking, write_blocking_timeout, write_timeout, [
        "let lock = deli::sync::RwLock::new(0);\n*lock.write_blocking() = 9;\nassert_eq!(*lock.read_blocking(), 9);",
        "let lock = deli::sync::RwLock::new(0);\nlet reader = lock.read_blocking();\nassert!(lock.write_blocking_timeout(Duration::from_millis(5)).is_none());\ndrop(reader);\nassert!(lock.write_blocking_timeout(Duration::from_secs(1)).is_some());"
    ]);

    /// Takes shared access if no writer holds or waits for the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = deli::sync::RwLock::new(0);
    /// let _reader = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_some());
    /// assert!(lock.try_write().is_none());
    /// ```
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        self.cell
            .permits()
            .try_acquire(1)
            .ok()
            .map(|()| RwLockReadGuard {
                lock: self,
                _value: PhantomData,
            })
    }

    /// Takes exclusive access if nobody holds the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = deli::sync::RwLock::new(0);
    /// let _writer = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_none());
    /// ```
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        self.cell
            .permits()
            .try_acquire(MAX_READERS)
            .ok()
            .map(|()| RwLockWriteGuard {
                lock: self,
                _value: PhantomData,
            })
    }

    /// The value inside, through `&mut` — no locking needed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = deli::sync::RwLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.cell.get_mut()
    }
}

lock_std_impls!(RwLock, try_read);
guard_impls!(shared RwLockReadGuard<'_, T>, lock, 1);
guard_impls!(exclusive RwLockWriteGuard<'_, T>, lock, MAX_READERS);
