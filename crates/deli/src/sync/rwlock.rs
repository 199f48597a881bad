//! [`RwLock`]: many readers or one writer, for async tasks and plain
//! threads over the same lock.
//!
//! A thin layer over `async_lock::RwLock` (a waiting writer stops new
//! readers, so writers are not starved); this module adds the `_blocking`
//! and `_timeout` forms through [`super::block`] and deli's documentation.
//! Uses `async-lock` and `super::block`.

use std::fmt;
use std::time::Duration;

use super::block;

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
    inner: async_lock::RwLock<T>,
}

/// Shared access to an [`RwLock`]'s value; released on drop.
///
/// # Examples
///
/// ```
/// let lock = deli::sync::RwLock::new(5);
/// let guard: deli::sync::RwLockReadGuard<'_, i32> = lock.read_blocking();
/// assert_eq!(*guard, 5);
/// ```
pub type RwLockReadGuard<'a, T> = async_lock::RwLockReadGuard<'a, T>;

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
pub type RwLockWriteGuard<'a, T> = async_lock::RwLockWriteGuard<'a, T>;

impl<T> RwLock<T> {
    /// An unlocked lock around `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// static TABLE: deli::sync::RwLock<Vec<u8>> = deli::sync::RwLock::new(Vec::new());
    /// TABLE.write_blocking().push(1);
    /// assert_eq!(TABLE.read_blocking().len(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            inner: async_lock::RwLock::new(value),
        }
    }

    /// Under loom, whose primitives have no `const` constructors.
    #[cfg(loom)]
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            inner: async_lock::RwLock::new(value),
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
        self.inner.into_inner()
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
        crate::coop::spend().await;
        self.inner.read().await
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
        crate::coop::spend().await;
        self.inner.write().await
    }

    /// Blocks this thread until shared access is possible.
    ///
    /// For plain threads; in an async task await [`read`](RwLock::read).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = deli::sync::RwLock::new("x");
    /// assert_eq!(*lock.read_blocking(), "x");
    /// ```
    pub fn read_blocking(&self) -> RwLockReadGuard<'_, T> {
        block::block_on(self.inner.read())
    }

    /// Blocks this thread until exclusive access is possible.
    ///
    /// For plain threads; in an async task await [`write`](RwLock::write).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = deli::sync::RwLock::new(0);
    /// *lock.write_blocking() = 9;
    /// assert_eq!(*lock.read_blocking(), 9);
    /// ```
    pub fn write_blocking(&self) -> RwLockWriteGuard<'_, T> {
        block::block_on(self.inner.write())
    }

    /// Blocks this thread for at most `timeout` waiting for shared access.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = deli::sync::RwLock::new(0);
    /// let writer = lock.write_blocking();
    /// assert!(lock.read_timeout(Duration::from_millis(5)).is_none());
    /// drop(writer);
    /// assert!(lock.read_timeout(Duration::from_secs(1)).is_some());
    /// ```
    pub fn read_timeout(&self, timeout: Duration) -> Option<RwLockReadGuard<'_, T>> {
        block::block_on_timeout(self.inner.read(), timeout)
    }

    /// Blocks this thread for at most `timeout` waiting for exclusive access.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = deli::sync::RwLock::new(0);
    /// let reader = lock.read_blocking();
    /// assert!(lock.write_timeout(Duration::from_millis(5)).is_none());
    /// drop(reader);
    /// assert!(lock.write_timeout(Duration::from_secs(1)).is_some());
    /// ```
    pub fn write_timeout(&self, timeout: Duration) -> Option<RwLockWriteGuard<'_, T>> {
        block::block_on_timeout(self.inner.write(), timeout)
    }

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
        self.inner.try_read()
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
        self.inner.try_write()
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
        self.inner.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: fmt::Debug + ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RwLock");
        match self.try_read() {
            Some(guard) => out.field("value", &&*guard),
            None => out.field("value", &format_args!("<locked>")),
        };
        out.finish()
    }
}
