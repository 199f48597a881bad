//! `watch`: one value that a [`Sender`] keeps replacing and any number of
//! [`Receiver`]s read; a receiver can wait for the next change but only
//! ever sees the latest value (values in between are skipped by design).
//!
//! Written here: a `std` `RwLock` over the value, its version and the
//! sender's liveness, plus an `event-listener` event for "changed"; no
//! lock-free code. Dropping the sender ends every wait with [`RecvError`]
//! (the last value stays readable); dropping every receiver makes
//! [`Sender::send`] fail with [`SendError`]. Uses `event-listener`,
//! `crate::block_on` and `super::error`.
//!
//! # Examples
//!
//! ```
//! use deli::sync::watch;
//!
//! deli::run(async {
//!     let (sender, mut receiver) = watch::channel("starting");
//!     deli::spawn(async move {
//!         sender.send("ready").unwrap();
//!     });
//!     receiver.changed().await.unwrap();
//!     assert_eq!(*receiver.borrow(), "ready");
//! });
//! ```

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use event_listener::Event;

use super::error::{RecvError, RecvTimeoutError, SendError};
use super::wait_for::wait_for;
use crate::poison::IgnorePoison;

/// A watch channel holding `initial`; receivers count it as already seen.
///
/// # Examples
///
/// ```
/// let (_sender, receiver) = deli::sync::watch::channel(1);
/// assert_eq!(*receiver.borrow(), 1);
/// assert_eq!(receiver.has_changed(), Ok(false));
/// ```
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        slot: RwLock::new(Slot {
            value: initial,
            version: 0,
            closed: false,
        }),
        changed: Event::new(),
        receivers: Mutex::new(1),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared, seen: 0 },
    )
}

struct Shared<T> {
    slot: RwLock<Slot<T>>,
    changed: Event,
    receivers: Mutex<usize>,
}

struct Slot<T> {
    value: T,
    version: u64,
    closed: bool,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, Slot<T>> {
        self.slot.read().ignore_poison()
    }

    fn write(&self) -> RwLockWriteGuard<'_, Slot<T>> {
        self.slot.write().ignore_poison()
    }

    fn receivers(&self) -> std::sync::MutexGuard<'_, usize> {
        self.receivers.lock().ignore_poison()
    }
}

/// Replaces the value; there is one sender per channel.
///
/// # Examples
///
/// ```
/// let (sender, receiver) = deli::sync::watch::channel(0);
/// sender.send(1).unwrap();
/// assert_eq!(*receiver.borrow(), 1);
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// Reads the value and waits for changes; clone it for more readers.
///
/// # Examples
///
/// ```
/// let (sender, mut receiver) = deli::sync::watch::channel(0);
/// sender.send(5).unwrap();
/// receiver.changed_blocking().unwrap();
/// assert_eq!(*receiver.borrow_and_update(), 5);
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    seen: u64,
}

/// A read lock on the current value. Drop it soon: the sender waits for it
/// before it can send, so do not hold it across an `.await` or a send.
///
/// # Examples
///
/// ```
/// let (_sender, receiver) = deli::sync::watch::channel(vec![1, 2]);
/// let current: deli::sync::watch::Ref<'_, Vec<i32>> = receiver.borrow();
/// assert_eq!(current.len(), 2);
/// ```
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, Slot<T>>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.guard.value, f)
    }
}

impl<T> Sender<T> {
    /// Replaces the value and wakes every waiting receiver; fails, handing
    /// the value back, when no receiver exists (nothing is stored then).
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(0);
    /// assert!(sender.send(1).is_ok());
    /// drop(receiver);
    /// assert_eq!(sender.send(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.is_closed() {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value whether or not anyone watches, returning the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, _receiver) = deli::sync::watch::channel(1);
    /// assert_eq!(sender.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut slot = self.shared.write();
        let old = std::mem::replace(&mut slot.value, value);
        slot.version = slot.version.wrapping_add(1);
        drop(slot);
        self.shared.changed.notify(usize::MAX);
        old
    }

    /// Changes the value in place and wakes every waiting receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(vec![1]);
    /// sender.send_modify(|list| list.push(2));
    /// assert_eq!(*receiver.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        let mut slot = self.shared.write();
        modify(&mut slot.value);
        slot.version = slot.version.wrapping_add(1);
        drop(slot);
        self.shared.changed.notify(usize::MAX);
    }

    /// The current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, _receiver) = deli::sync::watch::channel('a');
    /// assert_eq!(*sender.borrow(), 'a');
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
        }
    }

    /// A new receiver that counts the current value as seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(0);
    /// drop(receiver);
    /// let late = sender.subscribe();
    /// sender.send(1).unwrap();
    /// assert_eq!(late.has_changed(), Ok(true));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        *self.shared.receivers() += 1;
        let seen = self.shared.read().version;
        Receiver {
            shared: Arc::clone(&self.shared),
            seen,
        }
    }

    /// How many receivers exist.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(());
    /// let _second = receiver.clone();
    /// assert_eq!(sender.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        *self.shared.receivers()
    }

    /// Whether every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(());
    /// drop(receiver);
    /// assert!(sender.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.write().closed = true;
        self.shared.changed.notify(usize::MAX);
    }
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(0);
    /// sender.send(1).unwrap();
    /// assert_eq!(*receiver.borrow(), 1);
    /// assert_eq!(receiver.has_changed(), Ok(true));
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
        }
    }

    /// The current value, marking it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::watch::channel(0);
    /// sender.send(1).unwrap();
    /// assert_eq!(*receiver.borrow_and_update(), 1);
    /// assert_eq!(receiver.has_changed(), Ok(false));
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        self.seen = guard.version;
        Ref { guard }
    }

    /// Whether a value this receiver has not seen is there;
    /// [`RecvError`] once the sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, receiver) = deli::sync::watch::channel(0);
    /// assert_eq!(receiver.has_changed(), Ok(false));
    /// drop(sender);
    /// assert!(receiver.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let slot = self.shared.read();
        if slot.closed {
            return Err(RecvError);
        }
        Ok(slot.version != self.seen)
    }

    /// Waits until the value changes from the one last seen, then marks the
    /// newest value seen. Returns at once if an unseen value is already
    /// there; [`RecvError`] once the sender is gone and nothing new is left.
    ///
    /// Cancel-safe: a future dropped before it finishes marks nothing seen,
    /// so the next call still reports the change.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let (sender, mut receiver) = deli::sync::watch::channel(0);
    ///     sender.send(1).unwrap();
    ///     assert!(receiver.changed().await.is_ok());
    ///     drop(sender);
    ///     assert!(receiver.changed().await.is_err());
    /// });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        crate::coop::spend().await;
        // Checked under the read lock: a send takes the write lock first.
        let (shared, seen) = (&self.shared, &mut self.seen);
        wait_for(
            &shared.changed,
            || shared.read(),
            |slot| {
                if slot.version != *seen {
                    *seen = slot.version;
                    return Ok(Ok(()));
                }
                if slot.closed {
                    return Ok(Err(RecvError));
                }
                Err(slot)
            },
        )
        .await
    }

    /// Blocks this thread until the value changes (see [`changed`](Receiver::changed)).
    ///
    /// # Examples
    ///
    /// ```
    /// let (sender, mut receiver) = deli::sync::watch::channel(0);
    /// std::thread::spawn(move || sender.send(1).unwrap());
    /// receiver.changed_blocking().unwrap();
    /// assert_eq!(*receiver.borrow(), 1);
    /// ```
    pub fn changed_blocking(&mut self) -> Result<(), RecvError> {
        crate::block_on::block_on(self.changed())
    }

    /// Blocks this thread for at most `timeout` waiting for a change.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::RecvTimeoutError;
    ///
    /// let (_sender, mut receiver) = deli::sync::watch::channel(0);
    /// let waited = receiver.changed_blocking_timeout(Duration::from_millis(5));
    /// assert_eq!(waited, Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn changed_blocking_timeout(&mut self, timeout: Duration) -> Result<(), RecvTimeoutError> {
        match crate::block_on::block_on_timeout(self.changed(), timeout) {
            Some(Ok(())) => Ok(()),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Renamed [`changed_blocking_timeout`](Self::changed_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `changed_blocking_timeout`")]
    pub fn changed_timeout(&mut self, timeout: Duration) -> Result<(), RecvTimeoutError> {
        self.changed_blocking_timeout(timeout)
    }
}

/// A clone has seen what this receiver has seen.
impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        *self.shared.receivers() += 1;
        Receiver {
            shared: Arc::clone(&self.shared),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut receivers = self.shared.receivers();
        *receivers = receivers.saturating_sub(1);
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("value", &*self.borrow())
            .finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("value", &*self.borrow())
            .field("seen", &self.seen)
            .finish_non_exhaustive()
    }
}
