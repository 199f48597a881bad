//! `oneshot`: a channel for exactly one value, from one sender to one
//! receiver — the "ticket" pattern: hand someone the [`Sender`], await the
//! [`Receiver`].
//!
//! Written here (a `std` mutex over the slot and the receiver's waker;
//! nothing lock-free) because it is small and must agree with the other
//! channels on errors and blocking forms. Dropping the sender unsent gives
//! the receiver [`RecvError`]; dropping (or [`close`](Receiver::close)-ing)
//! the receiver makes [`Sender::send`] hand the value back in a
//! [`SendError`]. The mutex comes from `crate::loom`, so the `loom_oneshot_*`
//! models check sends and drops racing a waiting receiver. Uses
//! `crate::block_on`, `super::error` and `crate::loom`.
//!
//! # Examples
//!
//! ```
//! use deli::sync::oneshot;
//!
//! deli::run(async {
//!     let (sender, receiver) = oneshot::channel();
//!     std::thread::spawn(move || sender.send(6 * 7).unwrap());
//!     assert_eq!(receiver.await, Ok(42));
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::error::{RecvError, RecvTimeoutError, SendError, TryRecvError};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::poison::IgnorePoison;

/// A new one-value channel.
///
/// # Examples
///
/// ```
/// let (sender, mut receiver) = deli::sync::oneshot::channel();
/// sender.send("done").unwrap();
/// assert_eq!(receiver.try_recv(), Ok("done"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: None,
            sender_alive: true,
            receiver_alive: true,
            waker: None,
        }),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    sender_alive: bool,
    receiver_alive: bool,
    waker: Option<Waker>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().ignore_poison()
    }
}

/// Sends the one value; consumed by [`send`](Sender::send).
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::oneshot::channel::<u8>();
/// drop(sender); // never sent
/// assert!(receiver.recv_blocking().is_err());
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Receives the one value: await it, or call [`recv_blocking`](Receiver::recv_blocking).
///
/// Awaiting the receiver itself is cancel-safe when it is awaited by
/// reference (`(&mut receiver).await`): dropping that future loses nothing.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let (sender, receiver) = deli::sync::oneshot::channel();
///     deli::spawn(async move { sender.send(1).unwrap() });
///     assert_eq!(receiver.await, Ok(1));
/// });
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`; fails with the value back if the receiver is gone or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::oneshot::channel();
    /// drop(receiver);
    /// assert_eq!(sender.send(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn send(self, value: T) -> Result<(), SendError<T>> {
        let mut state = self.shared.lock();
        if !state.receiver_alive {
            return Err(SendError(value));
        }
        state.value = Some(value);
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone or closed, so a send would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::oneshot::channel::<()>();
    /// assert!(!sender.is_closed());
    /// drop(receiver);
    /// assert!(sender.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        !self.shared.lock().receiver_alive
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.sender_alive = false;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent; [`TryRecvError::Closed`] if the
    /// sender is gone without sending (or the value was already taken).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::TryRecvError;
    ///
    /// let (sender, mut receiver) = deli::sync::oneshot::channel();
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    /// sender.send(1).unwrap();
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.lock();
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_alive => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Closed),
        }
    }

    /// Blocks this thread until the value comes or the sender is gone.
    ///
    /// For plain threads; in an async task await the receiver instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::oneshot::channel();
    /// std::thread::spawn(move || sender.send('x').unwrap());
    /// assert_eq!(receiver.recv_blocking(), Ok('x'));
    /// ```
    pub fn recv_blocking(self) -> Result<T, RecvError> {
        crate::block_on::block_on(self)
    }

    /// Blocks this thread for at most `timeout` waiting for the value; on
    /// timeout the receiver stays usable.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::RecvTimeoutError;
    ///
    /// let (sender, mut receiver) = deli::sync::oneshot::channel();
    /// assert_eq!(receiver.recv_blocking_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    /// sender.send(3).unwrap();
    /// assert_eq!(receiver.recv_blocking_timeout(Duration::from_secs(1)), Ok(3));
    /// ```
    pub fn recv_blocking_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match crate::block_on::block_on_timeout(&mut *self, timeout) {
            Some(Ok(value)) => Ok(value),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Renamed [`recv_blocking_timeout`](Self::recv_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `recv_blocking_timeout`")]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_blocking_timeout(timeout)
    }

    /// Refuses the value from now on: a later [`Sender::send`] fails and
    /// returns it. A value sent before the close can still be taken.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::oneshot::channel();
    /// receiver.close();
    /// assert!(sender.send(1).is_err());
    /// assert!(receiver.try_recv().is_err());
    /// ```
    pub fn close(&mut self) {
        self.shared.lock().receiver_alive = false;
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        if let Some(value) = state.value.take() {
            return Poll::Ready(Ok(value));
        }
        if !state.sender_alive {
            return Poll::Ready(Err(RecvError));
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.receiver_alive = false;
        state.waker = None;
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("oneshot::Receiver")
            .field("sent", &state.value.is_some())
            .field("sender_alive", &state.sender_alive)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::future::block_on;
    use loom::thread;

    #[test]
    fn loom_oneshot_value_reaches_a_waiting_receiver() {
        loom::model(|| {
            let (sender, receiver) = channel();
            let sending = thread::spawn(move || sender.send(7).is_ok());
            assert_eq!(block_on(receiver), Ok(7));
            assert!(sending.join().unwrap());
        });
    }

    #[test]
    fn loom_oneshot_dropped_sender_wakes_the_receiver() {
        loom::model(|| {
            let (sender, receiver) = channel::<u8>();
            let dropping = thread::spawn(move || drop(sender));
            assert_eq!(block_on(receiver), Err(RecvError));
            dropping.join().unwrap();
        });
    }

    #[test]
    fn loom_oneshot_send_races_receiver_drop() {
        loom::model(|| {
            let (sender, receiver) = channel::<u8>();
            let sending = thread::spawn(move || sender.send(1));
            drop(receiver);
            // Either refused (value back) or accepted and dropped with the
            // channel; never a panic or a leak.
            let _ = sending.join().unwrap();
        });
    }
}
