//! The errors of sending and receiving, shared by [`mpsc`](super::mpsc),
//! [`oneshot`](super::oneshot), [`watch`](super::watch) and
//! [`Queue`](super::Queue): a value going in (`send`, `put`) fails with a
//! `Send…` error that hands the value back; a value coming out (`recv`,
//! `get`) fails with a `Recv…` error. [`broadcast`](super::broadcast) has its
//! own receive errors, because a receiver there can also fall behind.
//! Uses `thiserror` only.

/// `into_inner` for a send error's variants, each holding the value, and a
/// `Debug` that shows the variant but not the value: the value is the
/// caller's own and need not be `Debug`.
macro_rules! gives_the_value_back {
    ($error:ident { $($variant:ident),+ }, $example:literal) => {
        impl<T> $error<T> {
            /// The value that could not be sent.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $example]
            /// ```
            pub fn into_inner(self) -> T {
                match self {
                    $($error::$variant(value))|+ => value,
                }
            }
        }

        impl<T> std::fmt::Debug for $error<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $($error::$variant(_) => f.write_str(concat!(stringify!($variant), "(..)")),)+
                }
            }
        }
    };
}

/// The value could not go in because the other side is gone or the channel
/// (or queue) was closed; the value comes back inside.
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::mpsc::channel::<u8>(1);
/// drop(receiver);
/// let error = sender.send_blocking(7).unwrap_err();
/// assert_eq!(error.into_inner(), 7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sending on a closed channel")]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that could not be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::sync::SendError("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SendError(..)")
    }
}

/// Why a `try_send` / `try_put` did not take the value; it comes back inside.
///
/// # Examples
///
/// ```
/// use deli::sync::TrySendError;
///
/// let (sender, receiver) = deli::sync::mpsc::channel::<u8>(1);
/// sender.try_send(1).unwrap();
/// assert!(matches!(sender.try_send(2), Err(TrySendError::Full(2))));
/// drop(receiver);
/// assert!(matches!(sender.try_send(3), Err(TrySendError::Closed(3))));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError<T> {
    /// No room right now.
    #[error("sending on a full channel")]
    Full(T),
    /// The other side is gone or the channel was closed.
    #[error("sending on a closed channel")]
    Closed(T),
}

gives_the_value_back!(
    TrySendError { Full, Closed },
    "assert_eq!(deli::sync::TrySendError::Full(4).into_inner(), 4);"
);

/// Why a blocking send / put with a timeout did not take the value; it
/// comes back inside.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::sync::SendTimeoutError;
///
/// let queue = deli::sync::Queue::new(1);
/// queue.try_put(1).unwrap();
/// let error = queue.put_blocking_timeout(2, Duration::from_millis(5)).unwrap_err();
/// assert!(matches!(error, SendTimeoutError::Timeout(2)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendTimeoutError<T> {
    /// No room came free in time.
    #[error("timed out sending on a full channel")]
    Timeout(T),
    /// The other side is gone or the channel was closed.
    #[error("sending on a closed channel")]
    Closed(T),
}

gives_the_value_back!(
    SendTimeoutError { Timeout, Closed },
    "assert_eq!(deli::sync::SendTimeoutError::Timeout('a').into_inner(), 'a');"
);

/// Nothing can come out any more: the channel (or queue) is empty and every
/// sender is gone or it was closed.
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::oneshot::channel::<u8>();
/// drop(sender);
/// let error = receiver.recv_blocking().unwrap_err();
/// assert_eq!(error.to_string(), "receiving on an empty and closed channel");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("receiving on an empty and closed channel")]
pub struct RecvError;

/// Why a `try_recv` / `try_get` returned no value.
///
/// # Examples
///
/// ```
/// use deli::sync::TryRecvError;
///
/// let (sender, receiver) = deli::sync::mpsc::unbounded::<u8>();
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
/// drop(sender);
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing is there right now.
    #[error("receiving on an empty channel")]
    Empty,
    /// Empty, and nothing more will come.
    #[error("receiving on an empty and closed channel")]
    Closed,
}

/// Why a blocking receive / get with a timeout returned no value.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::sync::RecvTimeoutError;
///
/// let (_sender, mut receiver) = deli::sync::mpsc::unbounded::<u8>();
/// let error = receiver.recv_blocking_timeout(Duration::from_millis(5)).unwrap_err();
/// assert_eq!(error, RecvTimeoutError::Timeout);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum RecvTimeoutError {
    /// Nothing came in time.
    #[error("timed out receiving on an empty channel")]
    Timeout,
    /// Empty, and nothing more will come.
    #[error("receiving on an empty and closed channel")]
    Closed,
}
