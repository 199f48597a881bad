//! [`Semaphore`]: a fair counting semaphore with async, blocking and `try_`
//! acquisition of one or many permits, borrowed and owned permits, and
//! `close()`.
//!
//! Written here rather than taken from `async-lock`, whose semaphore takes
//! one permit at a time and cannot be closed: acquiring several permits one
//! by one deadlocks two tasks that each hold half of what they need. The
//! counting and the line of waiters are `Permits` (`super::permits`: an
//! atomic fast path, a FIFO wait list only under contention), shared with
//! [`Mutex`](super::Mutex) and [`RwLock`](super::RwLock); this file adds
//! the public API, the permits' guards and the blocking forms. Uses
//! `super::permits` and `crate::block_on`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::permits::{Closed, Permits, TryAcquire, Waiting};

/// A counting semaphore: at most its number of permits are out at a time.
///
/// Waiters are served strictly in arrival order (a large request at the
/// front is not overtaken by small ones behind it), from async tasks on any
/// executor and from plain threads alike. A permit returns to the semaphore
/// when dropped. After [`close`](Semaphore::close), every waiting and every
/// later acquisition fails with [`AcquireError`]; permits already held stay
/// valid.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Semaphore;
///
/// deli::run(async {
///     let slots = Arc::new(Semaphore::new(2));
///     let tickets: Vec<_> = (0..6)
///         .map(|n| {
///             let slots = Arc::clone(&slots);
///             deli::spawn(async move {
///                 let _permit = slots.acquire_owned().await.unwrap();
///                 n * 2 // at most two tasks are here at once
///             })
///         })
///         .collect();
///     for ticket in tickets {
///         ticket.await.unwrap();
///     }
///     assert_eq!(slots.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    permits: Permits,
}

/// The semaphore was closed — or the acquisition asked for more than
/// [`Semaphore::MAX_PERMITS`], which could never be served — and no permit
/// was taken.
///
/// # Examples
///
/// ```
/// use deli::sync::Semaphore;
///
/// let semaphore = Semaphore::new(1);
/// let error = semaphore.acquire_many_blocking(Semaphore::MAX_PERMITS + 1).unwrap_err();
/// assert!(error.to_string().starts_with("more permits"));
/// semaphore.close();
/// let error = semaphore.acquire_blocking().unwrap_err();
/// assert_eq!(error.to_string(), "the semaphore is closed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{}", match .0 {
    Refusal::Closed => "the semaphore is closed",
    Refusal::TooMany => "more permits asked for than a semaphore can hold",
})]
pub struct AcquireError(Refusal);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Refusal {
    Closed,
    TooMany,
}

/// Why a `try_acquire` returned no permit.
///
/// # Examples
///
/// ```
/// use deli::sync::{Semaphore, TryAcquireError};
///
/// let semaphore = Semaphore::new(1);
/// let _held = semaphore.try_acquire().unwrap();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
/// semaphore.close();
/// assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TryAcquireError {
    /// Not enough permits are free now, or others are already waiting for them.
    #[error("no permits available")]
    NoPermits,
    /// The semaphore is closed.
    #[error("the semaphore is closed")]
    Closed,
}

/// Why a blocking acquisition with a timeout returned no permit.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::sync::{AcquireTimeoutError, Semaphore};
///
/// let semaphore = Semaphore::new(0);
/// let error = semaphore.acquire_blocking_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(error, AcquireTimeoutError::Timeout);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AcquireTimeoutError {
    /// The permits did not come free in time.
    #[error("timed out waiting for permits")]
    Timeout,
    /// The semaphore is closed.
    #[error("the semaphore is closed")]
    Closed,
}

impl Semaphore {
    crate::loom::const_unless_loom! {
        /// A semaphore with `permits` free permits.
        ///
        /// # Examples
        ///
        /// ```
        /// let semaphore = deli::sync::Semaphore::new(3);
        /// assert_eq!(semaphore.available_permits(), 3);
        /// ```
        pub fn new(permits: usize) -> Semaphore {
            Semaphore {
                permits: Permits::new(permits),
            }
        }
    }

    /// The most permits a semaphore holds (`usize::MAX >> 2`); more are
    /// dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(usize::MAX);
    /// assert_eq!(semaphore.available_permits(), Semaphore::MAX_PERMITS);
    /// ```
    pub const MAX_PERMITS: usize = super::permits::MAX_PERMITS;

    /// The permits free right now.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(3);
    /// let _two = semaphore.try_acquire_many(2).unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.permits.available()
    }

    /// Adds `n` permits (saturating at [`MAX_PERMITS`](Semaphore::MAX_PERMITS)), handing them to
    /// waiters in arrival order.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.permits.release(n);
    }

    /// Closes the semaphore: every task or thread waiting for permits, and
    /// every later acquisition, fails with [`AcquireError`] (`try_` forms:
    /// [`TryAcquireError::Closed`]). Permits already held stay valid and
    /// still return when dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use deli::sync::Semaphore;
    ///
    /// let semaphore = Arc::new(Semaphore::new(0));
    /// let waiting = Arc::clone(&semaphore);
    /// let waiter = std::thread::spawn(move || waiting.acquire_blocking().map(drop));
    /// semaphore.close();
    /// assert!(waiter.join().unwrap().is_err());
    /// assert!(semaphore.is_closed());
    /// ```
    pub fn close(&self) {
        self.permits.close();
    }

    /// Whether [`close`](Semaphore::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(1);
    /// assert!(!semaphore.is_closed());
    /// semaphore.close();
    /// assert!(semaphore.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.permits.is_closed()
    }

    /// Waits for one permit.
    ///
    /// Cancel-safe: dropping the future before it finishes takes no permit
    /// and gives up its place in line; permits that were handed to it in the
    /// meantime go to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let semaphore = deli::sync::Semaphore::new(1);
    ///     let permit = semaphore.acquire().await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits, taken all at once (`n == 0` succeeds at once
    /// unless closed; more than [`MAX_PERMITS`](Semaphore::MAX_PERMITS) fails
    /// at once). Cancel-safe, as [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let semaphore = deli::sync::Semaphore::new(5);
    ///     let permits = semaphore.acquire_many(3).await.unwrap();
    ///     assert_eq!(permits.num_permits(), 3);
    ///     assert_eq!(semaphore.available_permits(), 2);
    /// });
    /// ```
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            waiting: Waiting::new(n),
        }
    }

    /// Waits for one permit that holds the semaphore by `Arc`, so it can
    /// move into a spawned task. Cancel-safe, as [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// deli::run(async {
    ///     let semaphore = Arc::new(deli::sync::Semaphore::new(1));
    ///     let permit = semaphore.acquire_owned().await.unwrap();
    ///     let ticket = deli::spawn(async move {
    ///         let _held_here = permit;
    ///     });
    ///     ticket.await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire_owned(self: &Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Waits for `n` owned permits, taken all at once. Cancel-safe, as
    /// [`acquire`](Semaphore::acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// deli::run(async {
    ///     let semaphore = Arc::new(deli::sync::Semaphore::new(4));
    ///     let permits = semaphore.acquire_many_owned(4).await.unwrap();
    ///     assert_eq!(permits.num_permits(), 4);
    /// });
    /// ```
    pub fn acquire_many_owned(self: &Arc<Self>, n: usize) -> AcquireOwned {
        AcquireOwned {
            semaphore: Arc::clone(self),
            waiting: Waiting::new(n),
        }
    }

    /// Blocks this thread until one permit is free.
    ///
    /// For plain threads: in an async task it stalls the worker — await
    /// [`acquire`](Semaphore::acquire) there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(1);
    /// let permit = semaphore.acquire_blocking().unwrap();
    /// assert_eq!(permit.num_permits(), 1);
    /// ```
    pub fn acquire_blocking(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        crate::block_on::block_on(self.acquire())
    }

    /// Blocks this thread until `n` permits are free, then takes them all.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(3);
    /// let permits = semaphore.acquire_many_blocking(3).unwrap();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// drop(permits);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    pub fn acquire_many_blocking(&self, n: usize) -> Result<SemaphorePermit<'_>, AcquireError> {
        crate::block_on::block_on(self.acquire_many(n))
    }

    /// Blocks this thread until one owned permit is free.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(deli::sync::Semaphore::new(1));
    /// let permit = semaphore.acquire_owned_blocking().unwrap();
    /// std::thread::spawn(move || drop(permit)).join().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn acquire_owned_blocking(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        crate::block_on::block_on(self.acquire_owned())
    }

    /// Blocks this thread for at most `timeout` waiting for one permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let semaphore = deli::sync::Semaphore::new(1);
    /// let held = semaphore.acquire_blocking_timeout(Duration::from_secs(1)).unwrap();
    /// assert!(semaphore.acquire_blocking_timeout(Duration::from_millis(5)).is_err());
    /// drop(held);
    /// ```
    pub fn acquire_blocking_timeout(
        &self,
        timeout: Duration,
    ) -> Result<SemaphorePermit<'_>, AcquireTimeoutError> {
        self.acquire_many_blocking_timeout(1, timeout)
    }

    /// Renamed [`acquire_blocking_timeout`](Self::acquire_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `acquire_blocking_timeout`")]
    pub fn acquire_timeout(
        &self,
        timeout: Duration,
    ) -> Result<SemaphorePermit<'_>, AcquireTimeoutError> {
        self.acquire_blocking_timeout(timeout)
    }

    /// Blocks this thread for at most `timeout` waiting for `n` permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::{AcquireTimeoutError, Semaphore};
    ///
    /// let semaphore = Semaphore::new(2);
    /// let error = semaphore.acquire_many_blocking_timeout(3, Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(error, AcquireTimeoutError::Timeout);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn acquire_many_blocking_timeout(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<SemaphorePermit<'_>, AcquireTimeoutError> {
        match crate::block_on::block_on_timeout(self.acquire_many(n), timeout) {
            Some(Ok(permit)) => Ok(permit),
            Some(Err(AcquireError { .. })) => Err(AcquireTimeoutError::Closed),
            None => Err(AcquireTimeoutError::Timeout),
        }
    }

    /// Renamed [`acquire_many_blocking_timeout`](Self::acquire_many_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `acquire_many_blocking_timeout`")]
    pub fn acquire_many_timeout(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<SemaphorePermit<'_>, AcquireTimeoutError> {
        self.acquire_many_blocking_timeout(n, timeout)
    }

    /// Takes one permit if one is free and nobody is waiting ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is waiting ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err());
    /// assert!(semaphore.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n).map(|()| SemaphorePermit {
            semaphore: self,
            permits: n,
        })
    }

    /// Takes one owned permit if one is free and nobody is waiting ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(deli::sync::Semaphore::new(1));
    /// let permit = semaphore.try_acquire_owned().unwrap();
    /// assert_eq!(permit.num_permits(), 1);
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` owned permits if they are free and nobody is waiting ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(deli::sync::Semaphore::new(3));
    /// let permits = semaphore.try_acquire_many_owned(3).unwrap();
    /// assert_eq!(permits.num_permits(), 3);
    /// ```
    pub fn try_acquire_many_owned(
        self: &Arc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n).map(|()| OwnedSemaphorePermit {
            semaphore: Arc::clone(self),
            permits: n,
        })
    }

    fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        self.permits.try_acquire(n).map_err(|error| match error {
            TryAcquire::NoPermits => TryAcquireError::NoPermits,
            TryAcquire::Closed => TryAcquireError::Closed,
        })
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// One poll of an acquisition: refuses one that can never be served, then
/// takes its place in line under the cooperative budget. Ready with the
/// number of permits taken.
fn poll_waiting(
    semaphore: &Semaphore,
    waiting: &mut Waiting,
    cx: &mut Context<'_>,
) -> Poll<Result<usize, AcquireError>> {
    let wanted = waiting.wanted();
    if wanted > Semaphore::MAX_PERMITS {
        return Poll::Ready(Err(AcquireError(Refusal::TooMany)));
    }
    crate::coop::budgeted(cx, |cx| waiting.poll_acquire(&semaphore.permits, cx))
        .map_err(|Closed| AcquireError(Refusal::Closed))
        .map_ok(|()| wanted)
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
///
/// Cancel-safe: dropping it unfinished takes no permit.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let semaphore = deli::sync::Semaphore::new(1);
///     let acquire: deli::sync::semaphore::Acquire<'_> = semaphore.acquire();
///     assert!(acquire.await.is_ok());
/// });
/// ```
#[must_use = "futures do nothing unless awaited or polled"]
#[derive(Debug)]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    waiting: Waiting,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let semaphore = this.semaphore;
        poll_waiting(semaphore, &mut this.waiting, cx)
            .map_ok(|permits| SemaphorePermit { semaphore, permits })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.waiting.cancel(&self.semaphore.permits);
    }
}

/// The future of [`Semaphore::acquire_owned`] and
/// [`Semaphore::acquire_many_owned`]; `'static`, so it can be moved into a
/// spawned task. Cancel-safe: dropping it unfinished takes no permit.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(deli::sync::Semaphore::new(1));
/// let acquire: deli::sync::semaphore::AcquireOwned = semaphore.acquire_owned();
/// let permit = deli::run(acquire).unwrap();
/// assert_eq!(permit.num_permits(), 1);
/// ```
#[must_use = "futures do nothing unless awaited or polled"]
#[derive(Debug)]
pub struct AcquireOwned {
    semaphore: Arc<Semaphore>,
    waiting: Waiting,
}

impl Future for AcquireOwned {
    type Output = Result<OwnedSemaphorePermit, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let semaphore = &this.semaphore;
        poll_waiting(semaphore, &mut this.waiting, cx).map_ok(|permits| OwnedSemaphorePermit {
            semaphore: Arc::clone(semaphore),
            permits,
        })
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        self.waiting.cancel(&self.semaphore.permits);
    }
}

/// Permits borrowed from a [`Semaphore`]; they return to it when dropped.
///
/// # Examples
///
/// ```
/// let semaphore = deli::sync::Semaphore::new(2);
/// let permit = semaphore.try_acquire().unwrap();
/// assert_eq!(permit.num_permits(), 1);
/// drop(permit);
/// assert_eq!(semaphore.available_permits(), 2);
/// ```
#[must_use = "a permit is released as soon as it is dropped"]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(4);
    /// assert_eq!(semaphore.try_acquire_many(3).unwrap().num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits out of the semaphore for good (it shrinks by them).
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = deli::sync::Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.permits.release(self.permits);
    }
}

/// Permits that hold their [`Semaphore`] by `Arc`; they return to it when
/// dropped, wherever that happens.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(deli::sync::Semaphore::new(1));
/// let permit = semaphore.try_acquire_owned().unwrap();
/// assert!(Arc::ptr_eq(permit.semaphore(), &semaphore));
/// ```
#[must_use = "a permit is released as soon as it is dropped"]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// How many permits this holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(deli::sync::Semaphore::new(2));
    /// assert_eq!(semaphore.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits belong to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(deli::sync::Semaphore::new(1));
    /// let permit = semaphore.try_acquire_owned().unwrap();
    /// assert_eq!(permit.semaphore().available_permits(), 0);
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }

    /// Keeps the permits out of the semaphore for good (it shrinks by them).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(deli::sync::Semaphore::new(2));
    /// semaphore.try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.permits.release(self.permits);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::{noop_cx, HandPolled};

    #[test]
    fn front_waiter_is_not_overtaken() {
        let semaphore = Semaphore::new(1);
        let mut big = Box::pin(semaphore.acquire_many(2));
        assert!(big.as_mut().poll(&mut noop_cx()).is_pending());
        // One permit is free, but the front waiter wants two.
        assert_eq!(
            semaphore.try_acquire().unwrap_err(),
            TryAcquireError::NoPermits
        );
        let mut small = Box::pin(semaphore.acquire());
        assert!(small.as_mut().poll(&mut noop_cx()).is_pending());
        semaphore.add_permits(1);
        let held = big.as_mut().poll(&mut noop_cx());
        assert!(matches!(&held, Poll::Ready(Ok(permit)) if permit.num_permits() == 2));
        assert!(small.as_mut().poll(&mut noop_cx()).is_pending());
        drop(held);
        assert!(small.as_mut().poll(&mut noop_cx()).is_ready());
    }

    #[test]
    fn dropping_a_granted_waiter_passes_permits_on() {
        let semaphore = Semaphore::new(0);
        let first = HandPolled::pending(semaphore.acquire());
        let mut second = HandPolled::pending(semaphore.acquire());
        semaphore.add_permits(1);
        drop(first);
        assert!(second.poll().is_ready());
    }

    #[test]
    fn dropping_the_front_waiter_lets_smaller_ones_through() {
        let semaphore = Semaphore::new(1);
        let big = HandPolled::pending(semaphore.acquire_many(5));
        let mut small = HandPolled::pending(semaphore.acquire());
        drop(big);
        assert!(small.poll().is_ready());
    }

    #[test]
    fn close_fails_waiters_but_not_holders() {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut waiting = Box::pin(semaphore.acquire());
        assert!(waiting.as_mut().poll(&mut noop_cx()).is_pending());
        semaphore.close();
        assert!(matches!(
            waiting.as_mut().poll(&mut noop_cx()),
            Poll::Ready(Err(AcquireError { .. }))
        ));
        drop(held);
        assert_eq!(semaphore.available_permits(), 1);
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::future::block_on;
    use loom::thread;
    use std::task::Waker;

    #[test]
    fn loom_semaphore_hands_the_permit_over_without_losing_a_wakeup() {
        crate::loom::model_bounded(3, || {
            let semaphore = Arc::new(Semaphore::new(1));
            let other = Arc::clone(&semaphore);
            let contender = thread::spawn(move || {
                drop(block_on(other.acquire()).unwrap());
            });
            drop(block_on(semaphore.acquire_many(1)).unwrap());
            contender.join().unwrap();
            assert_eq!(semaphore.available_permits(), 1);
        });
    }

    #[test]
    fn loom_semaphore_close_wakes_a_waiter() {
        crate::loom::model_bounded(3, || {
            let semaphore = Arc::new(Semaphore::new(0));
            let other = Arc::clone(&semaphore);
            let closer = thread::spawn(move || other.close());
            assert!(block_on(semaphore.acquire()).is_err());
            closer.join().unwrap();
        });
    }

    #[test]
    fn loom_semaphore_cancelled_waiter_passes_permits_on() {
        crate::loom::model_bounded(3, || {
            let semaphore = Arc::new(Semaphore::new(0));
            let cancelling = {
                let semaphore = Arc::clone(&semaphore);
                thread::spawn(move || {
                    let mut acquire = Box::pin(semaphore.acquire());
                    let mut cx = Context::from_waker(Waker::noop());
                    // Pending (then cancelled) or granted (then released):
                    // either way the permit must reach the other waiter.
                    drop(acquire.as_mut().poll(&mut cx));
                })
            };
            let waiting = {
                let semaphore = Arc::clone(&semaphore);
                thread::spawn(move || drop(block_on(semaphore.acquire()).unwrap()))
            };
            semaphore.add_permits(1);
            cancelling.join().unwrap();
            waiting.join().unwrap();
            assert_eq!(semaphore.available_permits(), 1);
        });
    }
}
