//! [`TaskSet`]: many tickets awaited together, in the order they finish
//! (tokio's `JoinSet`), for every kind of work deli runs: async tasks,
//! blocking calls, thread-pool jobs and process-pool jobs all come back as
//! the same [`Ticket`], and any ticket can join the set.
//!
//! The set does not poll every ticket when one of them finishes. Each entry
//! has a waker of its own; waking it puts the entry's index on a ready list
//! (once, until it is polled again) and wakes whoever awaits the set, which
//! then polls only the entries on that list. Written here rather than taken
//! from `futures-util` (`FuturesUnordered`), which deli has only as a
//! dev-dependency: the list is a mutex-guarded queue of indices, and the
//! whole thing is a few dozen lines without `unsafe`.
//!
//! Uses the task layer (`Ticket`, `JobError`) and the runtime's spawn
//! functions.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::ready_list::{ReadyList, ReadySlot};
use crate::runtime::Handle;
use crate::task::{JobError, Ticket};

/// A set of [`Ticket`]s whose results are taken in the order the work
/// finishes; dropping the set cancels every ticket still in it.
///
/// Async tasks ([`spawn`](TaskSet::spawn), [`spawn_on`](TaskSet::spawn_on)),
/// blocking calls ([`spawn_blocking`](TaskSet::spawn_blocking)) and any
/// other ticket — a [`ThreadPool`](crate::ThreadPool) or
/// [`ProcessPool`](crate::ProcessPool) job — via
/// [`insert`](TaskSet::insert).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let pool = deli::ThreadPool::new(2).unwrap();
///     let mut set = deli::TaskSet::new();
///     set.spawn(async {
///         deli::sleep(Duration::from_millis(50)).await;
///         "slow task"
///     });
///     set.insert(pool.submit(|| "pool job"));
///     set.spawn_blocking(|| "blocking call");
///     let mut finished = Vec::new();
///     while let Some(result) = set.join_next().await {
///         finished.push(result.unwrap());
///     }
///     assert_eq!(finished.len(), 3);
///     assert_eq!(finished[2], "slow task"); // last to finish, last out
/// });
/// ```
pub struct TaskSet<T> {
    slots: Vec<Option<Entry<T>>>,
    /// Indices of empty slots, reused before the vector grows.
    free: Vec<usize>,
    len: usize,
    ready: Arc<ReadyList>,
}

struct Entry<T> {
    ticket: Ticket<T>,
    ready: ReadySlot,
}

impl<T> Default for TaskSet<T> {
    fn default() -> Self {
        TaskSet::new()
    }
}

impl<T> fmt::Debug for TaskSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet").field("len", &self.len).finish()
    }
}

impl<T> TaskSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set: deli::TaskSet<u8> = deli::TaskSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> TaskSet<T> {
        TaskSet {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: Arc::new(ReadyList::default()),
        }
    }

    /// How many tickets are in the set (finished ones not yet taken count).
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn(async { 1 });
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no tickets.
    ///
    /// ```
    /// let set = deli::TaskSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a ticket of any kind: an async task's, a blocking call's, a
    /// thread-pool or process-pool job's.
    ///
    /// ```
    /// deli::run(async {
    ///     let pool = deli::ThreadPool::new(1).unwrap();
    ///     let mut set = deli::TaskSet::new();
    ///     set.insert(pool.submit(|| 6 * 7));
    ///     assert_eq!(set.join_next().await, Some(Ok(42)));
    /// });
    /// ```
    pub fn insert(&mut self, ticket: Ticket<T>) {
        let index = self.free.pop().unwrap_or(self.slots.len());
        let entry = Entry {
            ticket,
            ready: self.ready.slot(index),
        };
        if index == self.slots.len() {
            self.slots.push(Some(entry));
        } else {
            self.slots[index] = Some(entry);
        }
        self.len += 1;
    }

    /// Spawns `future` on the current runtime (as [`crate::spawn`]) and adds
    /// its ticket. Outside a runtime the ticket resolves to
    /// [`JobError::NoRuntime`].
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     for n in 0..3u32 {
    ///         set.spawn(async move { n * 2 });
    ///     }
    ///     let mut sum = 0;
    ///     while let Some(result) = set.join_next().await {
    ///         sum += result.unwrap();
    ///     }
    ///     assert_eq!(sum, 6);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future));
    }

    /// Spawns `future` on the runtime behind `handle` and adds its ticket.
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// let handle = runtime.handle().clone();
    /// runtime.block_on(async move {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn_on(&handle, async { "on the handle's runtime" });
    ///     assert!(set.join_next().await.unwrap().is_ok());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, handle: &Handle, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future));
    }

    /// Runs `f` on the blocking pool (as [`crate::spawn_blocking`]) and adds
    /// its ticket.
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    ///     assert!(set.join_next().await.unwrap().is_ok());
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F)
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn_blocking(f));
    }

    /// Waits for the next ticket to finish and takes its result; `None`
    /// once the set is empty. Cancel-safe: dropping the future loses no
    /// result.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn(async { deli::sleep(Duration::from_millis(30)).await; "second" });
    ///     set.spawn(async { "first" });
    ///     assert_eq!(set.join_next().await, Some(Ok("first")));
    ///     assert_eq!(set.join_next().await, Some(Ok("second")));
    ///     assert_eq!(set.join_next().await, None);
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JobError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// Polls for the next finished ticket: `Ready(None)` when the set is
    /// empty, `Pending` (with `cx` woken when one finishes) otherwise.
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn(async { 5 });
    ///     let first = std::future::poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(first, Some(Ok(5)));
    /// });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JobError>>> {
        self.next_ready(Some(cx))
    }

    /// Takes the result of a ticket that has already finished, without
    /// waiting; `None` if none has (or the set is empty).
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     assert!(set.try_join_next().is_none());
    ///     set.abort_all();
    ///     deli::yield_now().await;
    ///     let mut cancelled = None;
    ///     while cancelled.is_none() {
    ///         cancelled = set.try_join_next();
    ///         deli::yield_now().await;
    ///     }
    ///     assert_eq!(cancelled, Some(Err(deli::JobError::Cancelled)));
    /// });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JobError>> {
        match self.next_ready(None) {
            Poll::Ready(result) => result,
            Poll::Pending => None,
        }
    }

    /// Polls the entries on the ready list, at most one round of the set's
    /// size, so a burst of wake-ups cannot keep the caller here forever.
    /// `awaiting`'s waker is registered when the list runs dry.
    fn next_ready(
        &mut self,
        awaiting: Option<&mut Context<'_>>,
    ) -> Poll<Option<Result<T, JobError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        for _ in 0..self.len.max(1) {
            let Some(index) = self.ready.pop(awaiting.as_ref().map(|cx| cx.waker())) else {
                return Poll::Pending;
            };
            let Some(entry) = self.slots.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            let mut entry_cx = Context::from_waker(entry.ready.rearmed_waker());
            if let Poll::Ready(result) = Pin::new(&mut entry.ticket).poll(&mut entry_cx) {
                self.slots[index] = None;
                self.free.push(index);
                self.len -= 1;
                return Poll::Ready(Some(result));
            }
        }
        // More wake-ups than one round: come back after others had a turn.
        if let Some(cx) = awaiting {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Asks every ticket in the set to stop ([`Ticket::cancel`]). They stay
    /// in the set: [`join_next`](Self::join_next) then returns each one's
    /// result, `Err(JobError::Cancelled)` for those that were stopped.
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert_eq!(set.join_next().await, Some(Err(deli::JobError::Cancelled)));
    /// });
    /// ```
    pub fn abort_all(&self) {
        for entry in self.slots.iter().flatten() {
            entry.ticket.cancel();
        }
    }

    /// Cancels every ticket and waits until each has ended; the set is
    /// empty afterwards.
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(std::future::pending::<()>());
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every ticket and returns all the results, in the order the
    /// work finished.
    ///
    /// ```
    /// deli::run(async {
    ///     let mut set = deli::TaskSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { 2 });
    ///     let mut all: Vec<u8> = set.join_all().await.into_iter().map(Result::unwrap).collect();
    ///     all.sort();
    ///     assert_eq!(all, [1, 2]);
    /// });
    /// ```
    pub async fn join_all(mut self) -> Vec<Result<T, JobError>> {
        let mut results = Vec::with_capacity(self.len);
        while let Some(result) = self.join_next().await {
            results.push(result);
        }
        results
    }
}

impl<T> Drop for TaskSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> Extend<Ticket<T>> for TaskSet<T> {
    fn extend<I: IntoIterator<Item = Ticket<T>>>(&mut self, tickets: I) {
        for ticket in tickets {
            self.insert(ticket);
        }
    }
}

impl<T> FromIterator<Ticket<T>> for TaskSet<T> {
    /// Collects tickets into a set.
    ///
    /// ```
    /// deli::run(async {
    ///     let set: deli::TaskSet<u32> = (0..4).map(|n| deli::spawn(async move { n })).collect();
    ///     assert_eq!(set.len(), 4);
    /// });
    /// ```
    fn from_iter<I: IntoIterator<Item = Ticket<T>>>(tickets: I) -> Self {
        let mut set = TaskSet::new();
        set.extend(tickets);
        set
    }
}
