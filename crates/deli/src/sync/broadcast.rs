//! `broadcast`: every receiver sees every value sent after it subscribed;
//! a receiver that falls more than the capacity behind loses the oldest
//! values and is told how many with [`RecvError::Lagged`].
//!
//! A thin layer over `async-broadcast` in its overflow mode (a send never
//! waits: when the buffer is full the oldest value is dropped), adding
//! deli's errors, blocking and timeout forms and documentation. Each
//! [`Sender`] keeps an inactive receiver so the channel stays open while it
//! has no subscribers (a send then fails with [`SendError`]). When every
//! sender is gone, receivers get what is left, then [`RecvError::Closed`].
//! Uses `async-broadcast`, `crate::block_on` and `super::error`.
//!
//! # Examples
//!
//! ```
//! use deli::sync::broadcast;
//!
//! let (sender, mut first) = broadcast::channel(16);
//! let mut second = sender.subscribe();
//! sender.send("hello").unwrap();
//! assert_eq!(first.try_recv(), Ok("hello"));
//! assert_eq!(second.try_recv(), Ok("hello"));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::error::SendError;

/// A channel whose buffer holds the last `capacity` values (0 is taken as 1).
///
/// # Examples
///
/// ```
/// use deli::sync::broadcast::{self, RecvError};
///
/// let (sender, mut receiver) = broadcast::channel(2);
/// for n in 0..5 {
///     sender.send(n).unwrap();
/// }
/// assert_eq!(receiver.try_recv(), Err(broadcast::TryRecvError::Lagged(3)));
/// assert_eq!(receiver.try_recv(), Ok(3));
/// ```
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let (mut sender, mut receiver) = async_broadcast::broadcast(capacity.max(1));
    sender.set_overflow(true);
    sender.set_await_active(false);
    receiver.set_overflow(true);
    let keep_open = Arc::new(receiver.clone().deactivate());
    (
        Sender {
            inner: sender,
            keep_open,
        },
        Receiver { inner: receiver },
    )
}

/// Sends to every receiver; clone it for more senders.
///
/// # Examples
///
/// ```
/// let (sender, mut receiver) = deli::sync::broadcast::channel(4);
/// let other = sender.clone();
/// other.send(1).unwrap();
/// assert_eq!(receiver.try_recv(), Ok(1));
/// ```
pub struct Sender<T> {
    inner: async_broadcast::Sender<T>,
    keep_open: Arc<async_broadcast::InactiveReceiver<T>>,
}

/// Receives every value sent after it subscribed, in order.
///
/// # Examples
///
/// ```
/// let (sender, mut receiver) = deli::sync::broadcast::channel(4);
/// sender.send(1).unwrap();
/// sender.send(2).unwrap();
/// assert_eq!(receiver.recv_blocking(), Ok(1));
/// assert_eq!(receiver.recv_blocking(), Ok(2));
/// ```
pub struct Receiver<T> {
    inner: async_broadcast::Receiver<T>,
}

/// Why a receive returned no value.
///
/// # Examples
///
/// ```
/// use deli::sync::broadcast::{self, RecvError};
///
/// let (sender, mut receiver) = broadcast::channel::<u8>(1);
/// drop(sender);
/// assert_eq!(receiver.recv_blocking(), Err(RecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RecvError {
    /// This receiver fell behind and the given number of values were
    /// dropped before it saw them; the next receive gets the oldest value
    /// still there.
    #[error("receiver lagged behind and missed {0} values")]
    Lagged(u64),
    /// Every sender is gone and nothing is left to receive.
    #[error("receiving on an empty and closed channel")]
    Closed,
}

/// Why a `try_recv` returned no value.
///
/// # Examples
///
/// ```
/// use deli::sync::broadcast::{self, TryRecvError};
///
/// let (_sender, mut receiver) = broadcast::channel::<u8>(1);
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing new right now.
    #[error("receiving on an empty channel")]
    Empty,
    /// This receiver missed the given number of values (see [`RecvError::Lagged`]).
    #[error("receiver lagged behind and missed {0} values")]
    Lagged(u64),
    /// Every sender is gone and nothing is left to receive.
    #[error("receiving on an empty and closed channel")]
    Closed,
}

/// Why a blocking receive with a timeout returned no value.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::sync::broadcast::{self, RecvTimeoutError};
///
/// let (_sender, mut receiver) = broadcast::channel::<u8>(1);
/// let error = receiver.recv_blocking_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(error, RecvTimeoutError::Timeout);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RecvTimeoutError {
    /// Nothing came in time.
    #[error("timed out receiving on an empty channel")]
    Timeout,
    /// This receiver missed the given number of values (see [`RecvError::Lagged`]).
    #[error("receiver lagged behind and missed {0} values")]
    Lagged(u64),
    /// Every sender is gone and nothing is left to receive.
    #[error("receiving on an empty and closed channel")]
    Closed,
}

impl<T: Clone> Sender<T> {
    /// Sends `value` to every current receiver. Never waits: if the buffer
    /// is full the oldest value is dropped (receivers that had not seen it
    /// get [`RecvError::Lagged`]). Fails, handing the value back, when no
    /// receiver exists.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::broadcast::channel(1);
    /// assert!(sender.send(1).is_ok());
    /// drop(receiver);
    /// assert_eq!(sender.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.inner.try_broadcast(value) {
            Ok(_dropped_oldest) => Ok(()),
            Err(error) => Err(SendError(error.into_inner())),
        }
    }

    /// A new receiver that sees the values sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::broadcast::channel(4);
    /// drop(receiver);
    /// let mut late = sender.subscribe();
    /// sender.send(9).unwrap();
    /// assert_eq!(late.try_recv(), Ok(9));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut receiver = self.keep_open.activate_cloned();
        receiver.set_overflow(true);
        Receiver { inner: receiver }
    }

    /// How many receivers exist now.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::broadcast::channel::<u8>(1);
    /// assert_eq!(sender.receiver_count(), 1);
    /// drop(receiver);
    /// assert_eq!(sender.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.inner.receiver_count()
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value.
    ///
    /// Cancel-safe: a future dropped before it finishes takes nothing;
    /// the value stays for this receiver's next call.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let (sender, mut receiver) = deli::sync::broadcast::channel(4);
    ///     deli::spawn(async move { sender.send(7).unwrap() });
    ///     assert_eq!(receiver.recv().await, Ok(7));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        crate::coop::spend().await;
        self.inner.recv_direct().await.map_err(|error| match error {
            async_broadcast::RecvError::Overflowed(missed) => RecvError::Lagged(missed),
            async_broadcast::RecvError::Closed => RecvError::Closed,
        })
    }

    /// Blocks this thread until the next value.
    ///
    /// For plain threads; in an async task await [`recv`](Receiver::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::broadcast::channel(4);
    /// std::thread::spawn(move || sender.send(1).unwrap());
    /// assert_eq!(receiver.recv_blocking(), Ok(1));
    /// ```
    pub fn recv_blocking(&mut self) -> Result<T, RecvError> {
        crate::block_on::block_on(self.recv())
    }

    /// Blocks this thread for at most `timeout` waiting for the next value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (sender, mut receiver) = deli::sync::broadcast::channel(4);
    /// sender.send(2).unwrap();
    /// assert_eq!(receiver.recv_blocking_timeout(Duration::from_secs(1)), Ok(2));
    /// ```
    pub fn recv_blocking_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match crate::block_on::block_on_timeout(self.recv(), timeout) {
            Some(Ok(value)) => Ok(value),
            Some(Err(RecvError::Lagged(missed))) => Err(RecvTimeoutError::Lagged(missed)),
            Some(Err(RecvError::Closed)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Renamed [`recv_blocking_timeout`](Self::recv_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `recv_blocking_timeout`")]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_blocking_timeout(timeout)
    }

    /// Takes the next value if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::broadcast::TryRecvError;
    ///
    /// let (sender, mut receiver) = deli::sync::broadcast::channel(4);
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    /// sender.send(1).unwrap();
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv().map_err(|error| match error {
            async_broadcast::TryRecvError::Empty => TryRecvError::Empty,
            async_broadcast::TryRecvError::Overflowed(missed) => TryRecvError::Lagged(missed),
            async_broadcast::TryRecvError::Closed => TryRecvError::Closed,
        })
    }

    /// How many values wait for this receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::broadcast::channel(4);
    /// sender.send(()).unwrap();
    /// assert_eq!(receiver.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether no value waits for this receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_sender, receiver) = deli::sync::broadcast::channel::<()>(4);
    /// assert!(receiver.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        Sender {
            inner: self.inner.clone(),
            keep_open: Arc::clone(&self.keep_open),
        }
    }
}

/// A clone starts at the same place: it will see the same values this
/// receiver has not taken yet.
impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        Receiver {
            inner: self.inner.clone(),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("receivers", &self.inner.receiver_count())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("len", &self.inner.len())
            .finish_non_exhaustive()
    }
}
