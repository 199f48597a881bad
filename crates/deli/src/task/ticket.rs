//! `Ticket<T>`: the one handle for a result that is not ready yet.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use std::ptr::NonNull;

use async_task::{FallibleTask, Task};

use super::error::JobError;
use super::harness::TaskOutput;
use super::header::{Header, TaskId};
use super::state::State;
use crate::block_on::block_on_until;
use crate::coop;

/// A claim on the result of work that deli is running: an async task, a
/// blocking call, and (in later layers) a thread-pool or process job.
///
/// A ticket is a [`Future`] resolving to `Result<T, JobError>`, and can also
/// be waited on from plain threads with [`wait_blocking`](Ticket::wait_blocking)
/// and [`wait_blocking_timeout`](Ticket::wait_blocking_timeout). Dropping a ticket *detaches* the
/// work — it keeps running — and [`cancel`](Ticket::cancel) is how to stop
/// it. The result lives in the task's own allocation: a ticket costs no
/// allocation of its own.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::new().unwrap();
/// let ticket = runtime.spawn(async { 6 * 7 });
/// assert_eq!(ticket.wait_blocking(), Ok(42));
/// ```
pub struct Ticket<T> {
    task: Option<FallibleTask<TaskOutput<Result<T, JobError>>, Header>>,
    /// The task's header. `FallibleTask` does not expose its metadata, so
    /// the pointer is taken while the task was still a `Task`.
    header: Option<NonNull<Header>>,
    id: TaskId,
    /// Set for a ticket that failed before any work started; reported once.
    early_error: Option<JobError>,
}

impl<T> Ticket<T> {
    pub(crate) fn from_task(task: Task<TaskOutput<Result<T, JobError>>, Header>) -> Ticket<T> {
        let header = NonNull::from(task.metadata());
        let id = task.metadata().id;
        Ticket {
            task: Some(task.fallible()),
            header: Some(header),
            id,
            early_error: None,
        }
    }

    /// The task's header, while this ticket still holds the task.
    fn header(&self) -> Option<&Header> {
        self.task.as_ref()?;
        // SAFETY: the header lives in the task's allocation, and the
        // `FallibleTask` in `self.task` (checked above) holds a reference
        // that keeps the allocation alive for as long as `&self` is
        // borrowed: it is only dropped through `&mut self`.
        self.header.map(|header| unsafe { header.as_ref() })
    }

    /// A ticket for work that could not even start.
    pub(crate) fn failed(error: JobError) -> Ticket<T> {
        Ticket {
            task: None,
            header: None,
            id: TaskId::next(),
            early_error: Some(error),
        }
    }

    /// Why the work could not even start, for a ticket made by `failed`.
    pub(crate) fn early_error(&self) -> Option<JobError> {
        self.early_error.clone()
    }

    /// This work's id, unique in the process.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let ticket = deli::spawn(async {});
    ///     println!("started {}", ticket.id());
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Where the work is in its lifecycle right now.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let ticket = deli::spawn(async {});
    ///     while !ticket.is_done() {
    ///         deli::yield_now().await;
    ///     }
    ///     assert_eq!(ticket.state(), deli::State::Terminated);
    /// });
    /// ```
    pub fn state(&self) -> State {
        match self.header() {
            Some(header) => header.state(),
            None => State::Terminated,
        }
    }

    /// Whether the work has ended (with a value, an error, a panic or a
    /// cancel): awaiting the ticket will not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new().unwrap();
    /// let ticket = runtime.spawn(async { 1 });
    /// runtime.block_on(async { while !ticket.is_done() { deli::yield_now().await } });
    /// assert!(ticket.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        match &self.task {
            Some(task) => task.is_finished(),
            None => true,
        }
    }

    /// Asks the work to stop. An async task that has not finished drops its
    /// future at its next scheduling point (promptly: it is woken for it)
    /// and the ticket resolves to [`JobError::Cancelled`]. Cancelling work
    /// that already finished changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let ticket = deli::spawn(std::future::pending::<()>());
    ///     ticket.cancel();
    ///     assert_eq!(ticket.await, Err(deli::JobError::Cancelled));
    /// });
    /// ```
    pub fn cancel(&self) {
        if let Some(header) = self.header() {
            header.cancel();
        }
    }

    /// Lets the work run on without anyone waiting for it (what dropping
    /// the ticket does too).
    pub fn detach(self) {}

    /// Blocks this thread until the work ends and returns its result.
    ///
    /// Meant for plain threads; inside async code, `.await` the ticket
    /// (blocking a runtime worker stalls the tasks queued behind it).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new().unwrap();
    /// let ticket = runtime.spawn(async { "done" });
    /// assert_eq!(ticket.wait_blocking(), Ok("done"));
    /// ```
    pub fn wait_blocking(mut self) -> Result<T, JobError> {
        // No deadline: `block_on_until` only gives up at one.
        block_on_until(Pin::new(&mut self), None).unwrap_or(Err(JobError::WaitTimedOut))
    }

    /// Renamed [`wait_blocking`](Self::wait_blocking): blocking forms end
    /// in `_blocking` (see the crate's conventions).
    #[deprecated(since = "0.2.0", note = "renamed to `wait_blocking`")]
    pub fn wait(self) -> Result<T, JobError> {
        self.wait_blocking()
    }

    /// Blocks this thread for at most `timeout`. On time-out returns
    /// [`JobError::WaitTimedOut`] — not [`JobError::TimedOut`], which is
    /// the *job's* own deadline — and leaves the work alone: it goes on,
    /// and the ticket can be waited on (or awaited) again, as with Python's
    /// `future.result(timeout)`. After a result has been returned, later
    /// waits return [`JobError::AlreadyTaken`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = deli::Runtime::new().unwrap();
    /// let mut ticket = runtime.spawn(std::future::pending::<()>());
    /// assert_eq!(
    ///     ticket.wait_blocking_timeout(Duration::from_millis(10)),
    ///     Err(deli::JobError::WaitTimedOut)
    /// );
    /// assert!(!ticket.is_done());
    /// ticket.cancel();
    /// assert_eq!(ticket.wait_blocking(), Err(deli::JobError::Cancelled));
    /// ```
    pub fn wait_blocking_timeout(&mut self, timeout: Duration) -> Result<T, JobError> {
        let deadline = Instant::now().checked_add(timeout);
        block_on_until(Pin::new(self), deadline).unwrap_or(Err(JobError::WaitTimedOut))
    }

    /// Renamed [`wait_blocking_timeout`](Self::wait_blocking_timeout); it
    /// now gives up with [`JobError::WaitTimedOut`].
    #[deprecated(since = "0.2.0", note = "renamed to `wait_blocking_timeout`")]
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<T, JobError> {
        self.wait_blocking_timeout(timeout)
    }
}

impl<T> Future for Ticket<T> {
    type Output = Result<T, JobError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = self.task.as_mut() else {
            return Poll::Ready(Err(self
                .early_error
                .take()
                .unwrap_or(JobError::AlreadyTaken)));
        };
        let outcome = match coop::budgeted(cx, |cx| Pin::new(task).poll(cx)) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Some(output)) => output.into_inner().unwrap_or(Err(JobError::AlreadyTaken)),
            // The task cell closed without output: its future was dropped
            // unpolled-to-completion, by a cancel or by shutdown.
            Poll::Ready(None) => {
                let cancelled = self
                    .header()
                    .is_some_and(|header| header.state.is_cancel_requested());
                Err(if cancelled {
                    JobError::Cancelled
                } else {
                    JobError::Shutdown
                })
            }
        };
        self.task = None;
        Poll::Ready(outcome)
    }
}

// SAFETY: the only non-auto-Send/Sync field is the header pointer, which
// points into the task cell that `task` owns a share of; `Header` is
// `Send + Sync`, and the cell itself (`FallibleTask`) is `Send` for
// `T: Send` and `Sync` always.
unsafe impl<T: Send> Send for Ticket<T> {}
// SAFETY: as above; through `&Ticket` only the header is read.
unsafe impl<T> Sync for Ticket<T> {}

impl<T> Drop for Ticket<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Ticket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("id", &self.id)
            .field("state", &self.state())
            .finish()
    }
}
