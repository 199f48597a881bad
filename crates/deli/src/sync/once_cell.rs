//! [`OnceCell`]: a value set once, by the first of many concurrent callers,
//! with an async initializer.
//!
//! Built from two existing pieces and no new lock-free state: the value in a
//! `std::sync::OnceLock` (reads are one atomic load once it is set), and a
//! one-permit [`Semaphore`] that decides who runs the initializer. The
//! others wait in the semaphore's FIFO line without spinning; the winner's
//! permit is released if its initializer fails or its future is dropped, so
//! the next waiter takes over, and once the value is set the semaphore is
//! closed, which wakes every waiter at once to read it.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use super::semaphore::{Semaphore, TryAcquireError};

/// A cell that is written at most once, by an async initializer or
/// [`set`](OnceCell::set), and then read without locking.
///
/// Of many tasks calling [`get_or_init`](OnceCell::get_or_init) at once,
/// exactly one runs its initializer; the others wait (without spinning) and
/// then get the same value. If the initializer fails
/// ([`get_or_try_init`](OnceCell::get_or_try_init)) or its future is
/// dropped, one of the waiters runs its own instead.
///
/// # Examples
///
/// ```
/// use deli::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::new();
///
/// async fn config() -> &'static str {
///     CONFIG.get_or_init(|| async { "loaded once".to_owned() }).await
/// }
///
/// deli::run(async {
///     let tickets: Vec<_> = (0..4).map(|_| deli::spawn(config())).collect();
///     for ticket in tickets {
///         assert_eq!(ticket.await.unwrap(), "loaded once");
///     }
///     assert!(CONFIG.initialized());
/// });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: its holder runs the initializer. Closed once the value
    /// is set.
    init: Semaphore,
}

/// Why [`OnceCell::set`] did not store its value (which it hands back).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetError<T> {
    /// The cell already holds a value.
    #[error("the cell is already initialized")]
    AlreadyInitialized(T),
    /// An initializer is running right now.
    #[error("the cell is being initialized")]
    InitializingError(T),
}

impl<T> SetError<T> {
    /// The value that was not stored.
    ///
    /// ```
    /// let cell = deli::sync::OnceCell::new();
    /// cell.set(1).unwrap();
    /// assert_eq!(cell.set(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitialized(value) | SetError::InitializingError(value) => value,
        }
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.value.get())
            .finish()
    }
}

impl<T> From<T> for OnceCell<T> {
    /// A cell that already holds `value`.
    ///
    /// ```
    /// let cell = deli::sync::OnceCell::from(5);
    /// assert_eq!(cell.get(), Some(&5));
    /// ```
    fn from(value: T) -> Self {
        let cell = OnceCell::new();
        let _ = cell.value.set(value);
        cell.init.close();
        cell
    }
}

impl<T> OnceCell<T> {
    crate::loom::const_unless_loom! {
        /// An empty cell; `const`, so it can be a `static`.
        ///
        /// ```
        /// static CELL: deli::sync::OnceCell<u32> = deli::sync::OnceCell::new();
        /// assert!(CELL.get().is_none());
        /// ```
        pub fn new() -> OnceCell<T> {
            OnceCell {
                value: OnceLock::new(),
                init: Semaphore::new(1),
            }
        }
    }

    /// The value, if the cell has been initialized.
    ///
    /// ```
    /// let cell = deli::sync::OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set("x").unwrap();
    /// assert_eq!(cell.get(), Some(&"x"));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// let cell = deli::sync::OnceCell::from(1);
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Stores `value` if the cell is empty and no initializer is running;
    /// otherwise hands it back in the error.
    ///
    /// ```
    /// use deli::sync::{OnceCell, SetError};
    ///
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.set(1), Ok(()));
    /// assert_eq!(cell.set(2), Err(SetError::AlreadyInitialized(2)));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitialized(value));
        }
        match self.init.try_acquire() {
            Ok(permit) => {
                let stored = self.value.set(value);
                self.init.close();
                drop(permit);
                stored.map_err(SetError::AlreadyInitialized)
            }
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitialized(value)),
        }
    }

    /// The value, running `init` to make it if the cell is empty. Of many
    /// concurrent callers exactly one runs its `init`; the others wait for
    /// its value. If the running initializer's future is dropped, a waiter
    /// runs its own.
    ///
    /// ```
    /// deli::run(async {
    ///     let cell = deli::sync::OnceCell::new();
    ///     let v = cell.get_or_init(|| async { 1 + 1 }).await;
    ///     assert_eq!(*v, 2);
    ///     let again = cell.get_or_init(|| async { unreachable!() }).await;
    ///     assert_eq!(*again, 2);
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let never_fails = self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(init().await) })
            .await;
        match never_fails {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](Self::get_or_init) with an initializer that
    /// may fail: its error is returned to this caller, the cell stays empty,
    /// and the next waiter (if any) runs its own initializer.
    ///
    /// ```
    /// deli::run(async {
    ///     let cell = deli::sync::OnceCell::<u8>::new();
    ///     let failed = cell.get_or_try_init(|| async { "nope".parse::<u8>() }).await;
    ///     assert!(failed.is_err());
    ///     assert!(!cell.initialized());
    ///     let ok = cell.get_or_try_init(|| async { "7".parse::<u8>() }).await;
    ///     assert_eq!(ok, Ok(&7));
    /// });
    /// ```
    pub async fn get_or_try_init<F, Fut, E>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        loop {
            if let Some(value) = self.value.get() {
                return Ok(value);
            }
            // Closed means the value was set before the close, so the next
            // round returns it.
            let Ok(permit) = self.init.acquire().await else {
                continue;
            };
            if let Some(value) = self.value.get() {
                return Ok(value);
            }
            // An error returns here and the permit's drop lets the next
            // waiter try; so does dropping this future mid-way.
            let made = init().await?;
            let value = self.value.get_or_init(|| made);
            self.init.close();
            drop(permit);
            return Ok(value);
        }
    }

    /// The value, if any, taking the cell apart.
    ///
    /// ```
    /// let cell = deli::sync::OnceCell::from(String::from("mine"));
    /// assert_eq!(cell.into_inner().as_deref(), Some("mine"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}
