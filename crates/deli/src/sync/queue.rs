//! [`Queue`]: a FIFO queue with an optional size limit and Python's
//! `task_done()` / `join()` bookkeeping, shared by async tasks and plain
//! threads — `queue.Queue` and `asyncio.Queue` in one type.
//!
//! Written here rather than on `async-channel`, so that a blocking
//! [`put_blocking_timeout`](Queue::put_blocking_timeout) can hand the value back and the
//! unfinished-task count moves under the same lock as the items: a `std`
//! mutex over a `VecDeque` and the counts, plus three `event-listener`
//! events (not empty, not full, all done), as Python does it with
//! condition variables; nothing lock-free. Uses `event-listener`,
//! `crate::block_on` and `super::error`.

use super::blocking_waits::blocking_waits;
use super::wait_for::wait_for;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use event_listener::{Event, IntoNotification};

use super::error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
use crate::poison::IgnorePoison;

/// A FIFO queue of `T`, bounded by `maxsize` (0: unbounded, as in Python).
///
/// Every [`put`](Queue::put) counts one unfinished task; a consumer calls
/// [`task_done`](Queue::task_done) when it has finished with an item, and
/// [`join`](Queue::join) waits until every item put so far is done.
/// [`close`](Queue::close) ends the queue's life: puts fail from then on,
/// gets drain what is left and then fail. Share it by `Arc`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Queue;
///
/// let queue = Arc::new(Queue::new(8));
/// let worker = {
///     let queue = Arc::clone(&queue);
///     std::thread::spawn(move || {
///         let mut sum = 0;
///         while let Ok(n) = queue.get_blocking() {
///             sum += n;
///             queue.task_done().unwrap();
///         }
///         sum
///     })
/// };
/// deli::run(async {
///     for n in 1..=10 {
///         queue.put(n).await.unwrap();
///     }
///     queue.join().await; // every item processed
///     queue.close();
/// });
/// assert_eq!(worker.join().unwrap(), 55);
/// ```
pub struct Queue<T> {
    state: Mutex<State<T>>,
    not_empty: Event,
    not_full: Event,
    all_done: Event,
}

struct State<T> {
    items: VecDeque<T>,
    maxsize: usize,
    unfinished: usize,
    closed: bool,
}

impl<T> State<T> {
    fn is_full(&self) -> bool {
        self.maxsize != 0 && self.items.len() >= self.maxsize
    }
}

/// [`Queue::task_done`] was called more times than items were put.
///
/// # Examples
///
/// ```
/// let queue = deli::sync::Queue::<u8>::new(0);
/// let error = queue.task_done().unwrap_err();
/// assert_eq!(error.to_string(), "task_done() called more times than there were items");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("task_done() called more times than there were items")]
pub struct TaskDoneError;

impl<T> Queue<T> {
    /// An empty queue holding at most `maxsize` items.
    ///
    /// A `maxsize` of 0 means **no limit**, as Python's `queue.Queue(0)`
    /// and `asyncio.Queue(0)`: every put succeeds at once. (This differs on
    /// purpose from [`mpsc::channel`](super::mpsc::channel), where 0 is not
    /// a valid capacity.)
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::<u8>::new(2);
    /// assert_eq!(queue.maxsize(), 2);
    ///
    /// let unbounded = deli::sync::Queue::new(0);
    /// for n in 0..10_000 {
    ///     unbounded.try_put(n).unwrap();
    /// }
    /// assert_eq!(unbounded.len(), 10_000);
    /// ```
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                maxsize,
                unfinished: 0,
                closed: false,
            }),
            not_empty: Event::new(),
            not_full: Event::new(),
            all_done: Event::new(),
        }
    }

    /// An empty queue without a size limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::<u8>::unbounded();
    /// assert_eq!(queue.maxsize(), 0);
    /// ```
    pub fn unbounded() -> Queue<T> {
        Queue::new(0)
    }

    /// Puts `item` at the back, waiting for room if the queue is full.
    ///
    /// Cancel-safe: if the future is dropped before it finishes, the item
    /// was not put (it is dropped with the future) and nothing else changed.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let queue = deli::sync::Queue::new(1);
    ///     queue.put("a").await.unwrap();
    ///     assert_eq!(queue.len(), 1);
    /// });
    /// ```
    pub async fn put(&self, item: T) -> Result<(), SendError<T>> {
        crate::coop::spend().await;
        let mut slot = Some(item);
        match self.put_from(&mut slot).await {
            Ok(()) => Ok(()),
            Err(()) => match slot {
                Some(item) => Err(SendError(item)),
                // `put_from` fails only with the item still in the slot.
                None => Ok(()),
            },
        }
    }

    /// Blocks this thread until `item` is put.
    ///
    /// For plain threads; in an async task await [`put`](Queue::put).
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::new(0);
    /// queue.put_blocking(1).unwrap();
    /// assert_eq!(queue.try_get(), Ok(1));
    /// ```
    pub fn put_blocking(&self, item: T) -> Result<(), SendError<T>> {
        crate::block_on::block_on(self.put(item))
    }

    /// Blocks this thread for at most `timeout` trying to put `item`; on
    /// failure the item comes back inside the error.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::SendTimeoutError;
    ///
    /// let queue = deli::sync::Queue::new(1);
    /// queue.put_blocking_timeout(1, Duration::from_secs(1)).unwrap();
    /// let error = queue.put_blocking_timeout(2, Duration::from_millis(5)).unwrap_err();
    /// assert!(matches!(error, SendTimeoutError::Timeout(2)));
    /// ```
    pub fn put_blocking_timeout(
        &self,
        item: T,
        timeout: Duration,
    ) -> Result<(), SendTimeoutError<T>> {
        let mut slot = Some(item);
        let outcome = crate::block_on::block_on_timeout(self.put_from(&mut slot), timeout);
        match (outcome, slot) {
            (Some(Ok(())), _) | (None, None) => Ok(()),
            (Some(Err(())), Some(item)) => Err(SendTimeoutError::Closed(item)),
            (None, Some(item)) => Err(SendTimeoutError::Timeout(item)),
            // `put_from` fails only with the item still in the slot.
            (Some(Err(())), None) => Ok(()),
        }
    }

    /// Renamed [`put_blocking_timeout`](Self::put_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `put_blocking_timeout`")]
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.put_blocking_timeout(item, timeout)
    }

    /// Puts `item` if there is room right now (Python's `put_nowait`).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::TrySendError;
    ///
    /// let queue = deli::sync::Queue::new(1);
    /// queue.try_put(1).unwrap();
    /// assert!(matches!(queue.try_put(2), Err(TrySendError::Full(2))));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TrySendError<T>> {
        let state = self.lock();
        if state.closed {
            return Err(TrySendError::Closed(item));
        }
        if state.is_full() {
            return Err(TrySendError::Full(item));
        }
        self.push(state, item);
        Ok(())
    }

    /// Takes the item at the front, waiting for one if the queue is empty;
    /// [`RecvError`] once the queue is closed and empty.
    ///
    /// Cancel-safe: if the future is dropped before it finishes, no item
    /// was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let queue = deli::sync::Queue::new(0);
    ///     queue.put(1).await.unwrap();
    ///     assert_eq!(queue.get().await, Ok(1));
    /// });
    /// ```
    pub async fn get(&self) -> Result<T, RecvError> {
        crate::coop::spend().await;
        wait_for(
            &self.not_empty,
            || self.lock(),
            |mut state| {
                if let Some(item) = state.items.pop_front() {
                    drop(state);
                    self.not_full.notify(1.additional());
                    return Ok(Ok(item));
                }
                if state.closed {
                    return Ok(Err(RecvError));
                }
                Err(state)
            },
        )
        .await
    }

    /// Blocks this thread until an item comes (or the queue is closed and empty).
    ///
    /// For plain threads; in an async task await [`get`](Queue::get).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let queue = Arc::new(deli::sync::Queue::new(0));
    /// let producer = Arc::clone(&queue);
    /// std::thread::spawn(move || producer.put_blocking(4).unwrap());
    /// assert_eq!(queue.get_blocking(), Ok(4));
    /// ```
    pub fn get_blocking(&self) -> Result<T, RecvError> {
        crate::block_on::block_on(self.get())
    }

    /// Blocks this thread for at most `timeout` waiting for an item.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::sync::RecvTimeoutError;
    ///
    /// let queue = deli::sync::Queue::<u8>::new(0);
    /// assert_eq!(queue.get_blocking_timeout(Duration::from_millis(5)), Err(RecvTimeoutError::Timeout));
    /// ```
    pub fn get_blocking_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        match crate::block_on::block_on_timeout(self.get(), timeout) {
            Some(Ok(item)) => Ok(item),
            Some(Err(RecvError)) => Err(RecvTimeoutError::Closed),
            None => Err(RecvTimeoutError::Timeout),
        }
    }

    /// Renamed [`get_blocking_timeout`](Self::get_blocking_timeout): blocking forms end in `_blocking`, and a blocking form's bounded version in `_blocking_timeout` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `get_blocking_timeout`")]
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.get_blocking_timeout(timeout)
    }

    /// Takes the front item if there is one (Python's `get_nowait`).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::sync::TryRecvError;
    ///
    /// let queue = deli::sync::Queue::new(0);
    /// assert_eq!(queue.try_get(), Err(TryRecvError::Empty));
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.try_get(), Ok(1));
    /// queue.close();
    /// assert_eq!(queue.try_get(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_get(&self) -> Result<T, TryRecvError> {
        let mut state = self.lock();
        match state.items.pop_front() {
            Some(item) => {
                drop(state);
                self.not_full.notify(1.additional());
                Ok(item)
            }
            None if state.closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Marks one item taken earlier as processed; when every item put so
    /// far is processed, [`join`](Queue::join) returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::new(0);
    /// queue.try_put(1).unwrap();
    /// queue.try_get().unwrap();
    /// assert_eq!(queue.unfinished_tasks(), 1);
    /// queue.task_done().unwrap();
    /// assert_eq!(queue.unfinished_tasks(), 0);
    /// assert!(queue.task_done().is_err());
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.lock();
        let Some(left) = state.unfinished.checked_sub(1) else {
            return Err(TaskDoneError);
        };
        state.unfinished = left;
        drop(state);
        if left == 0 {
            self.all_done.notify(usize::MAX);
        }
        Ok(())
    }

    /// Waits until every item put so far has been marked
    /// [`task_done`](Queue::task_done) (returns at once if none is pending).
    /// Closing the queue does not end a join: items still in it are
    /// unfinished until someone gets them and marks them done.
    ///
    /// Cancel-safe: dropping the future changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// deli::run(async {
    ///     let queue = Arc::new(deli::sync::Queue::new(0));
    ///     queue.put(1).await.unwrap();
    ///     let worker = Arc::clone(&queue);
    ///     deli::spawn(async move {
    ///         worker.get().await.unwrap();
    ///         worker.task_done().unwrap();
    ///     });
    ///     queue.join().await;
    ///     assert_eq!(queue.unfinished_tasks(), 0);
    /// });
    /// ```
    pub async fn join(&self) {
        wait_for(
            &self.all_done,
            || self.lock(),
            |state| match state.unfinished {
                0 => Ok(()),
                _ => Err(state),
            },
        )
        .await
    }

    blocking_waits!(join, "every item put so far is done", join_blocking, join_blocking_timeout, join_timeout, [
        "let queue = deli::sync::Queue::<u8>::new(0);\nqueue.join_blocking(); // nothing pending",
        "let queue = deli::sync::Queue::new(0);\nqueue.try_put(1).unwrap();\nassert!(!queue.join_blocking_timeout(Duration::from_millis(5)));"
    ]);

    /// Closes the queue: every put, waiting or later, fails and gets its
    /// item back; gets take what is left, then fail with [`RecvError`].
    /// (Python 3.13's `shutdown()`.)
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::new(0);
    /// queue.try_put(1).unwrap();
    /// queue.close();
    /// assert!(queue.try_put(2).is_err());
    /// assert_eq!(queue.get_blocking(), Ok(1));
    /// assert!(queue.get_blocking().is_err());
    /// ```
    pub fn close(&self) {
        self.lock().closed = true;
        self.not_empty.notify(usize::MAX);
        self.not_full.notify(usize::MAX);
    }

    /// Whether [`close`](Queue::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::<u8>::new(0);
    /// queue.close();
    /// assert!(queue.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// How many items are in the queue (Python's `qsize()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::new(0);
    /// queue.try_put(()).unwrap();
    /// assert_eq!(queue.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether the queue holds no item.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::sync::Queue::<u8>::new(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.lock().items.is_empty()
    }

    /// Whether a put would have to wait (never, for an unbounded queue).
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::new(1);
    /// queue.try_put(()).unwrap();
    /// assert!(queue.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.lock().is_full()
    }

    /// The size limit; 0 means none.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::sync::Queue::<u8>::new(5).maxsize(), 5);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.lock().maxsize
    }

    /// Items put but not yet marked [`task_done`](Queue::task_done).
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = deli::sync::Queue::new(0);
    /// queue.try_put(1).unwrap();
    /// assert_eq!(queue.unfinished_tasks(), 1);
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.lock().unfinished
    }

    /// Puts the item in `slot` once there is room, taking it out of the
    /// slot only then; `Err` (item still in the slot) if the queue is closed.
    async fn put_from(&self, slot: &mut Option<T>) -> Result<(), ()> {
        wait_for(
            &self.not_full,
            || self.lock(),
            |state| {
                if state.closed {
                    return Ok(Err(()));
                }
                if state.is_full() {
                    return Err(state);
                }
                if let Some(item) = slot.take() {
                    self.push(state, item);
                }
                Ok(Ok(()))
            },
        )
        .await
    }

    /// Adds `item` and counts it unfinished, then wakes one getter.
    fn push(&self, mut state: MutexGuard<'_, State<T>>, item: T) {
        state.items.push_back(item);
        state.unfinished += 1;
        drop(state);
        self.not_empty.notify(1.additional());
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().ignore_poison()
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Queue")
            .field("len", &state.items.len())
            .field("maxsize", &state.maxsize)
            .field("unfinished", &state.unfinished)
            .field("closed", &state.closed)
            .finish()
    }
}
