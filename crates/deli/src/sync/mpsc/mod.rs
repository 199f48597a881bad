//! `mpsc`: channels with many senders and one receiver, bounded
//! ([`channel`]) or unbounded ([`unbounded`]), for async tasks and plain
//! threads alike.
//!
//! Our own channel ([`chan`](self) holds the shared state and its
//! protocol): values in a lock-free queue, room in a fair permit pool, the
//! receiver's waker in an atomic slot. It replaced an `async-channel`
//! wrapper that the `sync/mpsc-mt` benchmark (`deli-bench -- sync`)
//! measured at about twice tokio's time (see `chan` for what changed).
//! Closing works from either side: when every [`Sender`] is dropped (or
//! [`close`](Sender::close) is called) the receiver gets what is left,
//! then `None`; when the [`Receiver`] is dropped, every send fails
//! with [`SendError`] carrying the value back, and the values still queued
//! are dropped. A blocking send with a
//! deadline, [`send_blocking_timeout`](Sender::send_blocking_timeout), gives the value back
//! too.
//!
//! One receiver receives: [`recv`](Receiver::recv) takes `&mut self`, as in
//! tokio, so only one task waits on a channel at a time; `try_recv`, `len`
//! and `close` take `&self`.
//!
//! # Examples
//!
//! ```
//! use deli::sync::mpsc;
//!
//! let (sender, mut receiver) = mpsc::channel(16);
//! let producers: Vec<_> = (0..4)
//!     .map(|id| {
//!         let sender = sender.clone();
//!         std::thread::spawn(move || sender.send_blocking(id).unwrap())
//!     })
//!     .collect();
//! drop(sender);
//! let total = deli::run(async move {
//!     let mut total = 0;
//!     while let Some(id) = receiver.recv().await {
//!         total += id;
//!     }
//!     total
//! });
//! for producer in producers {
//!     producer.join().unwrap();
//! }
//! assert_eq!(total, 6);
//! ```

mod chan;

use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::time::Duration;

use super::error::{RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError};
use chan::{Chan, Received, Refused};

/// A channel that holds at most `capacity` values; a send waits for room.
///
/// deli has no rendezvous channels: a `capacity` of 0 is taken as 1, the
/// smallest buffer (a send completes once its value is buffered, not once
/// it is received), and a `tracing` warning says so. Where 0 comes from
/// input and should be refused instead, build with [`try_channel`].
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::mpsc::channel(2);
/// sender.try_send(1).unwrap();
/// sender.try_send(2).unwrap();
/// assert!(sender.try_send(3).is_err());
/// assert_eq!(receiver.try_recv(), Ok(1));
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    if capacity == 0 {
        tracing::warn!(
            "deli::sync::mpsc::channel(0): deli has no rendezvous channels; \
             the channel holds one value"
        );
    }
    pair(Chan::new(Some(capacity.max(1))))
}

/// [`channel`], refusing a `capacity` of 0 with [`ZeroCapacityError`]
/// instead of taking it as 1.
///
/// # Examples
///
/// ```
/// use deli::sync::mpsc;
///
/// assert!(mpsc::try_channel::<u8>(0).is_err());
/// let (sender, receiver) = mpsc::try_channel(1)?;
/// sender.try_send(7).unwrap();
/// assert_eq!(receiver.try_recv(), Ok(7));
/// # Ok::<(), mpsc::ZeroCapacityError>(())
/// ```
pub fn try_channel<T>(capacity: usize) -> Result<(Sender<T>, Receiver<T>), ZeroCapacityError> {
    if capacity == 0 {
        return Err(ZeroCapacityError);
    }
    Ok(pair(Chan::new(Some(capacity))))
}

/// A bounded channel was asked for with room for no value
/// ([`try_channel`]`(0)`); deli has no rendezvous channels.
///
/// # Examples
///
/// ```
/// let error = deli::sync::mpsc::try_channel::<()>(0).unwrap_err();
/// assert_eq!(error.to_string(), "a bounded channel needs room for at least one value");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("a bounded channel needs room for at least one value")]
pub struct ZeroCapacityError;

/// A channel without a limit: a send never waits.
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::mpsc::unbounded();
/// for n in 0..1000 {
///     sender.try_send(n).unwrap();
/// }
/// assert_eq!(receiver.len(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    pair(Chan::new(None))
}

fn pair<T>(chan: Chan<T>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(chan);
    (
        Sender {
            chan: Arc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// The sending side; clone it for more producers.
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::mpsc::unbounded();
/// let other = sender.clone();
/// sender.try_send("a").unwrap();
/// other.try_send("b").unwrap();
/// assert_eq!(receiver.len(), 2);
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving side.
///
/// # Examples
///
/// ```
/// let (sender, mut receiver) = deli::sync::mpsc::channel(1);
/// sender.send_blocking(5).unwrap();
/// assert_eq!(receiver.recv_blocking(), Some(5));
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for room if the channel is full.
    ///
    /// Cancel-safe: if the future is dropped before it finishes, the value
    /// was not sent (it is dropped with the future) and no room is held.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let (sender, mut receiver) = deli::sync::mpsc::channel(1);
    ///     sender.send(1).await.unwrap();
    ///     assert_eq!(receiver.recv().await, Some(1));
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        // Taking room spends cooperative budget, also when there is plenty.
        if self.chan.room().acquire(1).await.is_err() {
            return Err(SendError(value));
        }
        self.chan.push(value);
        Ok(())
    }

    /// Blocks this thread until `value` is sent.
    ///
    /// For plain threads: in an async task it stalls the worker — await
    /// [`send`](Sender::send) there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::mpsc::channel(1);
    /// std::thread::spawn(move || sender.send_blocking("hi").unwrap());
    /// assert_eq!(receiver.recv_blocking(), Some("hi"));
    /// ```
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        crate::block_on::block_on(self.send(value))
    }

    /// Sends `value` if there is room right now.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::TrySendError;
    ///
    /// let (sender, _receiver) = deli::sync::mpsc::channel(1);
    /// assert!(sender.try_send(1).is_ok());
    /// assert!(matches!(sender.try_send(2), Err(TrySendError::Full(2))));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(value).map_err(|refused| match refused {
            Refused::Full(value) => TrySendError::Full(value),
            Refused::Closed(value) => TrySendError::Closed(value),
        })
    }

    /// Blocks this thread for at most `timeout` waiting for room to send
    /// `value`; on time-out or close the value comes back in the error.
    ///
    /// For plain threads; from async code wrap [`send`](Sender::send) in
    /// [`deli::timeout`](crate::timeout) (the value is then dropped with
    /// the send).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::SendTimeoutError;
    ///
    /// let (sender, receiver) = deli::sync::mpsc::channel(1);
    /// sender.send_blocking_timeout(1, Duration::from_secs(1)).unwrap();
    /// let error = sender.send_blocking_timeout(2, Duration::from_millis(5)).unwrap_err();
    /// assert!(matches!(error, SendTimeoutError::Timeout(2)));
    /// drop(receiver);
    /// assert!(matches!(
    ///     sender.send_blocking_timeout(3, Duration::from_secs(1)),
    ///     Err(SendTimeoutError::Closed(3))
    /// ));
    /// ```
    pub fn send_blocking_timeout(
        &self,
        value: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        match crate::block_on::block_on_timeout(self.chan.room().acquire(1), timeout) {
            Some(Ok(())) => {
                self.chan.push(value);
                Ok(())
            }
            Some(Err(_closed)) => Err(SendTimeoutError::Closed(value)),
            None => Err(SendTimeoutError::Timeout(value)),
        }
    }

    /// Renamed [`send_blocking_timeout`](Self::send_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `send_blocking_timeout`")]
    pub fn send_timeout(&self, value: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_blocking_timeout(value, timeout)
    }

    /// Closes the channel from this side: sends fail from now on, the
    /// receiver gets what is already in, then `None`. Returns
    /// whether this call closed it (`false` if it was closed already).
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::mpsc::unbounded();
    /// sender.try_send(1).unwrap();
    /// assert!(sender.close());
    /// assert!(sender.try_send(2).is_err());
    /// assert_eq!(receiver.recv_blocking(), Some(1));
    /// assert_eq!(receiver.recv_blocking(), None);
    /// ```
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether the channel is closed (closed by a call, or the receiver is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::mpsc::channel::<()>(1);
    /// assert!(!sender.is_closed());
    /// drop(receiver);
    /// assert!(sender.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// How many values are in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, _receiver) = deli::sync::mpsc::unbounded();
    /// sender.try_send(()).unwrap();
    /// assert_eq!(sender.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether the channel holds no value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, _receiver) = deli::sync::mpsc::unbounded::<()>();
    /// assert!(sender.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.len() == 0
    }

    /// The bound given to [`channel`]; `None` for [`unbounded`].
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, _receiver) = deli::sync::mpsc::channel::<()>(8);
    /// assert_eq!(sender.capacity(), Some(8));
    /// ```
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }
}

impl<T> Receiver<T> {
    /// Waits for the next value; `None` once the channel is empty
    /// and every sender is gone (or it was closed).
    ///
    /// Cancel-safe: if the future is dropped before it finishes, no value
    /// was taken; it stays in the channel for the next call.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let (sender, mut receiver) = deli::sync::mpsc::unbounded();
    ///     deli::spawn(async move { sender.send(3).await.unwrap() });
    ///     assert_eq!(receiver.recv().await, Some(3));
    ///     assert_eq!(receiver.recv().await, None); // the sender is gone
    /// });
    /// ```
    ///
    /// `None` ends a `while let` loop over the channel:
    ///
    /// ```
    /// deli::run(async {
    ///     let (sender, mut receiver) = deli::sync::mpsc::channel(4);
    ///     deli::spawn(async move {
    ///         for n in 1..=3 {
    ///             sender.send(n).await.unwrap();
    ///         }
    ///     });
    ///     let mut total = 0;
    ///     while let Some(n) = receiver.recv().await {
    ///         total += n;
    ///     }
    ///     assert_eq!(total, 6);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        let chan = &self.chan;
        poll_fn(|cx| crate::coop::budgeted(cx, |cx| chan.poll_recv(cx))).await
    }

    /// Blocks this thread until a value comes; `None` once the channel is
    /// closed and empty (as [`recv`](Receiver::recv)).
    ///
    /// For plain threads: in an async task it stalls the worker — await
    /// [`recv`](Receiver::recv) there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::mpsc::channel(1);
    /// std::thread::spawn(move || sender.send_blocking(1).unwrap());
    /// assert_eq!(receiver.recv_blocking(), Some(1));
    /// ```
    pub fn recv_blocking(&mut self) -> Option<T> {
        crate::block_on::block_on(self.recv())
    }

    /// Blocks this thread for at most `timeout` waiting for a value.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::RecvTimeoutError;
    ///
    /// let (sender, mut receiver) = deli::sync::mpsc::channel::<u8>(1);
    /// assert_eq!(receiver.recv_blocking_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    /// drop(sender);
    /// assert_eq!(receiver.recv_blocking_timeout(Duration::from_secs(1)), Err(RecvTimeoutError::Closed));
    /// ```
    pub fn recv_blocking_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match crate::block_on::block_on_timeout(self.recv(), timeout) {
            Some(Some(value)) => Ok(value),
            Some(None) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Renamed [`recv_blocking_timeout`](Self::recv_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `recv_blocking_timeout`")]
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_blocking_timeout(timeout)
    }

    /// Takes a value if one is there right now.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::TryRecvError;
    ///
    /// let (sender, receiver) = deli::sync::mpsc::unbounded();
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    /// sender.try_send(1).unwrap();
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.chan.try_recv() {
            Received::Value(value) => Ok(value),
            Received::Empty => Err(TryRecvError::Empty),
            Received::Finished => Err(TryRecvError::Closed),
        }
    }

    /// Closes the channel from this side: every send, waiting or later,
    /// fails with [`SendError`] and gets its value back; values already in
    /// can still be received. Returns whether this call closed it.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::mpsc::unbounded();
    /// sender.try_send(1).unwrap();
    /// receiver.close();
    /// assert!(sender.try_send(2).is_err());
    /// assert_eq!(receiver.try_recv(), Ok(1));
    /// ```
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether the channel is closed (closed by a call, or every sender is gone).
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::mpsc::unbounded::<()>();
    /// drop(sender);
    /// assert!(receiver.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_finished()
    }

    /// How many values are waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::mpsc::unbounded();
    /// sender.try_send(1).unwrap();
    /// assert_eq!(receiver.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no value is waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_sender, receiver) = deli::sync::mpsc::unbounded::<()>();
    /// assert!(receiver.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chan.len() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.chan.add_sender();
        Sender {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.close_and_drain();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_end(f, "Sender", &self.chan)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_end(f, "Receiver", &self.chan)
    }
}

/// Either end's `Debug`: what the channel holds and whether it is closed.
fn debug_end<T>(f: &mut fmt::Formatter<'_>, end: &str, chan: &Chan<T>) -> fmt::Result {
    f.debug_struct(end)
        .field("len", &chan.len())
        .field("closed", &chan.is_closed())
        .finish_non_exhaustive()
}
