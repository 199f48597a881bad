//! Collecting many tickets: [`as_completed`] (in completion order) and
//! [`wait_blocking`] / [`wait_blocking_timeout`] (until the first, the first error, or all).
//!
//! They work for tickets from any executor — async tasks, blocking calls,
//! pool jobs — because they only poll tickets as futures. Each ticket is
//! polled with a waker of its own that records its index in a ready list
//! (`crate::ready_list`), so a wake-up costs one poll of the ticket that
//! woke, never a sweep over all of them. Calls `task` only.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::block_on::block_on_until;
use crate::ready_list::{ReadyList, ReadySlot};
use crate::task::{JobError, Ticket};

/// Yields each ticket's result as soon as it is ready, tagged with the
/// ticket's index in the input: `(index, result)`.
///
/// Works as a blocking [`Iterator`] on plain threads and as a
/// [`Stream`](futures_core::Stream) in async code. The index (rather than
/// the [`TaskId`](crate::TaskId)) is what the caller can use to find the
/// input the ticket was made for.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let pool = deli::ThreadPool::new(2).unwrap();
/// let tickets: Vec<_> = [30u64, 1, 10]
///     .into_iter()
///     .map(|ms| pool.submit(move || { std::thread::sleep(Duration::from_millis(ms)); ms }))
///     .collect();
/// let mut seen = Vec::new();
/// for (index, result) in deli::as_completed(tickets) {
///     seen.push((index, result.unwrap()));
/// }
/// seen.sort();
/// assert_eq!(seen, [(0, 30), (1, 1), (2, 10)]);
/// ```
pub fn as_completed<T, I>(tickets: I) -> AsCompleted<T>
where
    I: IntoIterator<Item = Ticket<T>>,
{
    let slots: Vec<Option<Ticket<T>>> = tickets.into_iter().map(Some).collect();
    let count = slots.len();
    let ready = Arc::new(ReadyList::default());
    let wakers = (0..count).map(|index| ready.slot(index)).collect();
    AsCompleted {
        slots,
        wakers,
        ready,
        remaining: count,
    }
}

/// The iterator and stream [`as_completed`] returns.
///
/// # Examples
///
/// From async code, as a stream:
///
/// ```
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use futures_core::Stream;
///
/// deli::run(async {
///     let tickets = vec![deli::spawn(async { 1 }), deli::spawn_blocking(|| 2)];
///     let mut stream = deli::as_completed(tickets);
///     let mut total = 0;
///     while let Some((_, result)) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
///         total += result.unwrap();
///     }
///     assert_eq!(total, 3);
/// });
/// ```
pub struct AsCompleted<T> {
    slots: Vec<Option<Ticket<T>>>,
    wakers: Vec<ReadySlot>,
    ready: Arc<ReadyList>,
    remaining: usize,
}

impl<T> AsCompleted<T> {
    /// How many tickets have not yielded their result yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(1).unwrap();
    /// let mut all = deli::as_completed(vec![pool.submit(|| 1), pool.submit(|| 2)]);
    /// assert_eq!(all.remaining(), 2);
    /// all.next();
    /// assert_eq!(all.remaining(), 1);
    /// ```
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// Gives back the tickets that have not yielded yet, with their
    /// indices; they can be awaited or collected again.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(1).unwrap();
    /// let all = deli::as_completed(vec![pool.submit(|| 1), pool.submit(|| 2)]);
    /// let pending = all.into_pending();
    /// assert_eq!(pending.len(), 2);
    /// assert_eq!(pending[1].0, 1);
    /// ```
    pub fn into_pending(mut self) -> Vec<(usize, Ticket<T>)> {
        std::mem::take(&mut self.slots)
            .into_iter()
            .enumerate()
            .filter_map(|(index, slot)| slot.map(|ticket| (index, ticket)))
            .collect()
    }

    /// The next result, or `Pending` with `cx` woken when one is ready.
    fn poll_next_result(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, JobError>)>> {
        // One unit of budget per result handed out; the tickets polled to
        // find it are polled without a limit, or a spent budget would have
        // each of them re-queue itself and this loop spin.
        crate::coop::budgeted(cx, |cx| {
            crate::coop::unlimited(|| self.poll_next_unbudgeted(cx))
        })
    }

    fn poll_next_unbudgeted(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, JobError>)>> {
        loop {
            if self.remaining == 0 {
                return Poll::Ready(None);
            }
            let Some(index) = self.ready.pop(Some(cx.waker())) else {
                return Poll::Pending;
            };
            let Some(ticket) = self.slots.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            let mut ticket_cx = Context::from_waker(self.wakers[index].rearmed_waker());
            if let Poll::Ready(result) = Pin::new(ticket).poll(&mut ticket_cx) {
                self.slots[index] = None;
                self.remaining -= 1;
                return Poll::Ready(Some((index, result)));
            }
        }
    }

    /// Blocks until the next result or `deadline`; `Err(())` on time-out.
    fn next_before(&mut self, deadline: Option<Instant>) -> Result<Option<Finished<T>>, ()> {
        let mut next = NextResult(self);
        block_on_until(Pin::new(&mut next), deadline).ok_or(())
    }
}

/// One finished ticket: its index in the input and its result.
type Finished<T> = (usize, Result<T, JobError>);

/// One `poll_next_result` as a future, for `block_on_until`.
struct NextResult<'a, T>(&'a mut AsCompleted<T>);

impl<T> Future for NextResult<'_, T> {
    type Output = Option<(usize, Result<T, JobError>)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_next_result(cx)
    }
}

impl<T> Iterator for AsCompleted<T> {
    type Item = (usize, Result<T, JobError>);

    /// Blocks the thread until the next ticket is done.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_before(None).ok().flatten()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> futures_core::Stream for AsCompleted<T> {
    type Item = (usize, Result<T, JobError>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_result(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

/// When [`wait_blocking`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Return {
    /// As soon as one ticket is done.
    FirstCompleted,
    /// As soon as one ticket resolves to an error, or when all are done.
    FirstError,
    /// When every ticket is done.
    AllCompleted,
}

/// The tickets [`wait_blocking`] saw finish, `(index, result)` in completion order.
pub type Done<T> = Vec<(usize, Result<T, JobError>)>;
/// The tickets still running when [`wait_blocking`] returned, with their indices.
pub type Pending<T> = Vec<(usize, Ticket<T>)>;

/// Blocks until `return_when` holds for `tickets` (from any executor) and
/// splits them into `(done, pending)`, each tagged with its index in the
/// input. `done` holds every ticket found finished by then, in completion
/// order; `pending` the rest, still valid.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let pool = deli::ThreadPool::new(2).unwrap();
/// let quick = pool.submit(|| 1);
/// let slow = pool.submit(|| { std::thread::sleep(Duration::from_millis(200)); 2 });
/// let (done, pending) = deli::wait_blocking(vec![slow, quick], deli::Return::FirstCompleted);
/// assert_eq!(done[0], (1, Ok(1)));
/// assert_eq!(pending.len(), 1);
///
/// let (done, pending) = deli::wait_blocking(pending.into_iter().map(|(_, t)| t), deli::Return::AllCompleted);
/// assert_eq!((done, pending.len()), (vec![(0, Ok(2))], 0));
/// ```
pub fn wait_blocking<T, I>(tickets: I, return_when: Return) -> (Done<T>, Pending<T>)
where
    I: IntoIterator<Item = Ticket<T>>,
{
    wait_until(tickets, return_when, None)
}

/// Renamed [`wait_blocking`](wait_blocking): blocking forms end in `_blocking` (see the crate's conventions).
#[deprecated(since = "0.2.0", note = "renamed to `wait_blocking`")]
pub fn wait<T, I>(tickets: I, return_when: Return) -> (Done<T>, Pending<T>)
where
    I: IntoIterator<Item = Ticket<T>>,
{
    wait_blocking(tickets, return_when)
}

/// [`wait_blocking`] for at most `timeout`; on time-out, returns what is done so far.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let pool = deli::ThreadPool::new(1).unwrap();
/// let stuck = pool.submit(|| { std::thread::sleep(Duration::from_millis(300)); 1 });
/// let (done, pending) =
///     deli::wait_blocking_timeout(vec![stuck], deli::Return::AllCompleted, Duration::from_millis(10));
/// assert!(done.is_empty());
/// assert_eq!(pending.len(), 1);
/// ```
pub fn wait_blocking_timeout<T, I>(
    tickets: I,
    return_when: Return,
    timeout: Duration,
) -> (Done<T>, Pending<T>)
where
    I: IntoIterator<Item = Ticket<T>>,
{
    wait_until(tickets, return_when, Instant::now().checked_add(timeout))
}

/// Renamed [`wait_blocking_timeout`](wait_blocking_timeout): blocking forms end in `_blocking` (see the crate's conventions).
#[deprecated(since = "0.2.0", note = "renamed to `wait_blocking_timeout`")]
pub fn wait_timeout<T, I>(
    tickets: I,
    return_when: Return,
    timeout: Duration,
) -> (Done<T>, Pending<T>)
where
    I: IntoIterator<Item = Ticket<T>>,
{
    wait_blocking_timeout(tickets, return_when, timeout)
}

fn wait_until<T, I>(
    tickets: I,
    return_when: Return,
    deadline: Option<Instant>,
) -> (Done<T>, Pending<T>)
where
    I: IntoIterator<Item = Ticket<T>>,
{
    let mut all = as_completed(tickets);
    let mut done = Vec::new();
    while let Ok(Some((index, result))) = all.next_before(deadline) {
        let failed = result.is_err();
        done.push((index, result));
        let satisfied = match return_when {
            Return::FirstCompleted => true,
            Return::FirstError => failed,
            Return::AllCompleted => false,
        };
        if satisfied {
            // Also report whatever else is finished already.
            while let Ok(Some(finished)) = all.next_before(Some(Instant::now())) {
                done.push(finished);
            }
            break;
        }
    }
    (done, all.into_pending())
}
