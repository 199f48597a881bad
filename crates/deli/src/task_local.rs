//! Task-local values: [`task_local!`](crate::task_local!) declares a key,
//! [`LocalKey::scope`] runs a future with a value for it, and
//! [`LocalKey::with`] / [`LocalKey::get`] read the value from inside.
//!
//! The value belongs to the future passed to `scope`, not to a thread or
//! a task: it is put in a thread-local slot only while that future is being
//! polled and taken back out after each poll, so it is kept across awaits
//! (even when the task moves between workers), other tasks on the same
//! worker never see it, and a task spawned from inside does not inherit it
//! (wrap the child in its own `scope` to pass a value on), like Python's
//! `contextvars` with an explicit copy.
//!
//! Uses only std; the macro expands to a `std::thread_local!` slot.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;`, each with its own
/// visibility and attributes. See [`LocalKey`].
///
/// # Examples
///
/// ```
/// deli::task_local! {
///     static REQUEST_ID: u64;
///     pub static USER: String;
/// }
///
/// deli::run(REQUEST_ID.scope(7, async {
///     deli::yield_now().await; // kept across awaits
///     assert_eq!(REQUEST_ID.get(), 7);
///     assert!(USER.try_with(|user| user.clone()).is_err()); // not set here
/// }));
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $ty:ty; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::task_local::LocalKey<$ty> = {
            ::std::thread_local! {
                static SLOT: ::std::cell::RefCell<::std::option::Option<$ty>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task_local::LocalKey::__new(SLOT)
        };
        $crate::task_local!($($rest)*);
    };
}

/// A key for a task-local value, declared with
/// [`task_local!`](crate::task_local!).
///
/// # Examples
///
/// ```
/// deli::task_local! {
///     static DEPTH: u32;
/// }
///
/// deli::run(async {
///     DEPTH.scope(1, async {
///         DEPTH.scope(2, async {
///             assert_eq!(DEPTH.get(), 2); // the innermost scope wins
///         }).await;
///         assert_eq!(DEPTH.get(), 1);
///     }).await;
/// });
/// ```
pub struct LocalKey<T: 'static> {
    slot: std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Reading a task-local value outside any [`LocalKey::scope`] of it.
///
/// ```
/// deli::task_local! { static NAME: &'static str; }
///
/// let error = NAME.try_with(|name| name.len()).unwrap_err();
/// assert_eq!(error.to_string(), "task-local value read outside a scope that sets it");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("task-local value read outside a scope that sets it")]
pub struct AccessError {
    _private: (),
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { slot }
    }

    /// Runs `future` with `value` set for this key whenever it is polled;
    /// the value is dropped with the future (after its last poll, while
    /// still set, so destructors inside it can read it).
    ///
    /// ```
    /// deli::task_local! { static TRACE: String; }
    ///
    /// let len = deli::run(TRACE.scope("abc".to_owned(), async {
    ///     TRACE.with(|trace| trace.len())
    /// }));
    /// assert_eq!(len, 3);
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs the closure `f` with `value` set for this key, and returns what
    /// it returns.
    ///
    /// ```
    /// deli::task_local! { static LEVEL: u8; }
    ///
    /// assert_eq!(LEVEL.sync_scope(3, || LEVEL.get() * 2), 6);
    /// assert!(LEVEL.try_get().is_err());
    /// ```
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut value = Some(value);
        let _restore = self.enter(&mut value);
        f()
    }

    /// Puts `value` into the slot (keeping what was there in its place) and
    /// swaps them back when the guard drops, panic or not.
    fn enter<'a>(&'static self, value: &'a mut Option<T>) -> Swapped<'a, T> {
        self.swap(value);
        Swapped { key: self, value }
    }

    fn swap(&'static self, value: &mut Option<T>) {
        self.slot.with(|slot| {
            // `with` hands out shared borrows only for the length of its
            // closure, which cannot `scope` a future or a closure that
            // outlives it, so the slot is never borrowed here.
            std::mem::swap(&mut *slot.borrow_mut(), value);
        });
    }

    /// Calls `f` with a reference to the value.
    ///
    /// # Panics
    ///
    /// Outside a [`scope`](Self::scope) or [`sync_scope`](Self::sync_scope)
    /// of this key, as `std::thread::LocalKey::with` does for a destroyed
    /// value; [`try_with`](Self::try_with) is the form that returns an
    /// error instead.
    ///
    /// ```
    /// deli::task_local! { static NAME: String; }
    ///
    /// NAME.sync_scope("deli".to_owned(), || {
    ///     NAME.with(|name| assert_eq!(name, "deli"));
    /// });
    /// ```
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        match self.try_with(f) {
            Ok(result) => result,
            Err(error) => panic!("{error}"),
        }
    }

    /// Calls `f` with a reference to the value, or returns [`AccessError`]
    /// outside a scope of this key.
    ///
    /// ```
    /// deli::task_local! { static ID: u32; }
    ///
    /// assert!(ID.try_with(|id| *id).is_err());
    /// assert_eq!(ID.sync_scope(4, || ID.try_with(|id| *id)), Ok(4));
    /// ```
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        let outcome = self.slot.try_with(|slot| {
            let borrowed = slot.borrow();
            borrowed.as_ref().map(f)
        });
        match outcome {
            Ok(Some(result)) => Ok(result),
            // Not set, or the thread is being torn down.
            Ok(None) | Err(_) => Err(AccessError { _private: () }),
        }
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of the value.
    ///
    /// # Panics
    ///
    /// Outside a scope of this key, as [`with`](Self::with);
    /// [`try_get`](Self::try_get) returns an error instead.
    ///
    /// ```
    /// deli::task_local! { static COUNT: usize; }
    ///
    /// assert_eq!(COUNT.sync_scope(9, || COUNT.get()), 9);
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// A copy of the value, or [`AccessError`] outside a scope of this key.
    ///
    /// ```
    /// deli::task_local! { static COUNT: usize; }
    ///
    /// assert!(COUNT.try_get().is_err());
    /// ```
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

/// Swaps a scope's value back out of the slot when dropped.
struct Swapped<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<T: 'static> Drop for Swapped<'_, T> {
    fn drop(&mut self) {
        self.key.swap(self.value);
    }
}

/// The future returned by [`LocalKey::scope`].
///
/// ```
/// deli::task_local! { static N: i32; }
///
/// let future: deli::task_local::TaskLocalFuture<i32, _> = N.scope(1, async { N.get() });
/// assert_eq!(deli::run(future), 1);
/// ```
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    value: Option<T>,
    /// `None` once it finished (it is dropped inside the scope).
    future: Option<F>,
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("finished", &self.future.is_none())
            .finish_non_exhaustive()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is only ever polled
        // through the pin made below and dropped in place (set to `None`),
        // never moved. `value` and `key` are not pinned and may move.
        let this = unsafe { self.get_unchecked_mut() };
        let key = this.key;
        let _restore = key.enter(&mut this.value);
        let Some(future) = this.future.as_mut() else {
            // Polled after completion: the inner future is gone.
            return Poll::Pending;
        };
        // SAFETY: see above; `future` stays where it is until dropped.
        let future = unsafe { Pin::new_unchecked(future) };
        let output = future.poll(cx);
        if output.is_ready() {
            // Dropped while the value is still set, so its destructors see it.
            this.future = None;
        }
        output
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if self.future.is_some() {
            let key = self.key;
            let _restore = key.enter(&mut self.value);
            // Dropped in place (it is pinned), with the value set.
            self.future = None;
        }
    }
}
