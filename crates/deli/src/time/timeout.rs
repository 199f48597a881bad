//! [`Timeout`], the future behind [`timeout`](super::timeout) and
//! [`timeout_at`](super::timeout_at), and its error [`Elapsed`]. It may call
//! only [`Sleep`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::sleep::Sleep;

/// The error of a [`Timeout`] whose deadline came before its future finished.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let never = std::future::pending::<()>();
///     let err = deli::time::timeout(Duration::from_millis(5), never).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
///     let _as_error: &dyn std::error::Error = &err;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("deadline has elapsed")]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Self {
        Elapsed(())
    }
}

/// A future that runs another one against a deadline; made by
/// [`timeout`](super::timeout) or [`timeout_at`](super::timeout_at).
///
/// It resolves to `Ok(output)` if the inner future finishes first and to
/// `Err(Elapsed)` once the deadline has passed. The inner future is polled
/// before the clock is read, so an output that is ready wins even when the
/// deadline has passed too. Dropping a `Timeout` drops the inner future and
/// removes its timer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let quick = async { 7 };
///     let result = deli::time::timeout(Duration::from_secs(5), quick).await;
///     assert_eq!(result, Ok(7));
/// });
/// ```
#[derive(Debug)]
#[must_use = "a Timeout does nothing unless awaited or polled"]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F> Timeout<F> {
    pub(crate) fn new(future: F, sleep: Sleep) -> Self {
        Timeout { future, sleep }
    }

    /// The inner future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let timeout = deli::time::timeout(Duration::from_secs(1), std::future::ready(3));
    /// let _inner: &std::future::Ready<i32> = timeout.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably (possible only while the `Timeout` is not pinned).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut timeout = deli::time::timeout(Duration::from_secs(1), std::future::ready(3));
    /// let _inner: &mut std::future::Ready<i32> = timeout.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives the inner future back, dropping the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let timeout = deli::time::timeout(Duration::from_millis(1), async { 5 });
    ///     assert_eq!(timeout.into_inner().await, 5);
    /// });
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// When this timeout elapses.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let timeout = deli::time::timeout_at(deadline, async {});
    /// assert_eq!(timeout.deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> std::time::Instant {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is only ever reached
        // through this projection while `self` is pinned, `Timeout` has no
        // `Drop` impl, and it is `Unpin` only when `F` is (`Sleep` is
        // `Unpin`). `sleep` is not pinned and is only moved via `Pin::new`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.future` is never moved out while pinned.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::time::test_support::block_on_bounded;
    use crate::time::{sleep, timeout, timeout_at};
    use std::future::{pending, ready, IntoFuture};
    use std::time::{Duration, Instant};

    const BOUND: Duration = Duration::from_secs(5);

    #[test]
    fn never_ready_future_times_out_not_before_the_deadline() {
        let start = Instant::now();
        let result = block_on_bounded(timeout(Duration::from_millis(10), pending::<()>()), BOUND);
        assert_eq!(result, Some(Err(Elapsed::new())));
        assert!(start.elapsed() >= Duration::from_millis(10));
    }

    #[test]
    fn ready_future_beats_an_elapsed_deadline() {
        let past = Instant::now();
        let result = block_on_bounded(timeout_at(past, ready(9)), BOUND);
        assert_eq!(result, Some(Ok(9)));
    }

    #[test]
    fn future_finishing_before_the_deadline_is_ok() {
        let slow_enough = async {
            sleep(Duration::from_millis(5)).await;
            "done"
        };
        let result = block_on_bounded(timeout(Duration::from_secs(60), slow_enough), BOUND);
        assert_eq!(result, Some(Ok("done")));
    }

    #[test]
    fn works_with_unpin_and_into_future_inputs() {
        struct Job;
        impl IntoFuture for Job {
            type Output = u8;
            type IntoFuture = std::future::Ready<u8>;
            fn into_future(self) -> Self::IntoFuture {
                ready(1)
            }
        }
        let result = block_on_bounded(timeout(Duration::from_secs(1), Job), BOUND);
        assert_eq!(result, Some(Ok(1)));
        let mut unpin = timeout(Duration::from_millis(1), pending::<()>());
        let result = block_on_bounded(&mut unpin, BOUND);
        assert_eq!(result, Some(Err(Elapsed::new())));
    }

    #[test]
    fn elapsed_is_a_std_error_with_a_message() {
        let err: Box<dyn std::error::Error + Send + Sync> = Box::new(Elapsed::new());
        assert_eq!(err.to_string(), "deadline has elapsed");
    }
}
