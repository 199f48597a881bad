//! The scope proper: [`scope`] runs a body that starts children through a
//! [`Scope`] handle, and returns only when every child has ended.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::children::{pool_child, AsyncChild, ChildGuard, ChildOutput, ProcessChild, Shared};
use super::error::ChildFailure;
use super::error::{ChildKind, ScopeError};
use super::node::current;
use crate::process::{Job, ProcessPool};
use crate::runtime::context;
use crate::runtime::Handle;
use crate::task::{current_id, CancelHandle, JobError, TaskId, TaskOptions, Ticket};
use crate::ThreadPool;

/// Runs `body` as a scope: children started through its [`Scope`] handle —
/// async tasks, thread-pool jobs, process jobs — all end before the scope
/// does.
///
/// The body returns `()` or a `Result`, as a child does ([`ChildOutput`]).
/// The first failure — a child's `Err`, panic or dead worker, or the body's
/// own `Err` — cancels everything else: async children are dropped at
/// their next await, pool jobs that have not started never run and running
/// ones see [`pool::is_cancelled`](crate::pool::is_cancelled), process jobs
/// are killed, and the body is dropped at its next await. The scope then
/// waits for all of them and returns a [`ScopeError`] with that failure
/// first and any other failures after it. It returns the body's value only
/// when the body and every child ran to their end; when a cancellation cut
/// any of them short, it returns an error for which
/// [`ScopeError::is_cancelled`] holds. A panic in the body cancels the
/// children too, and carries on unwinding once they have ended.
///
/// Children may start more children through clones of the handle — from
/// async children, and from pool children too (they go to the runtime the
/// scope was made on) — while the scope runs; once it has returned, the
/// handle refuses them ([`JobError::ScopeClosed`]).
///
/// A scope is a cancel scope too, in place where it is first polled: a
/// [`CancelScope`](super::CancelScope) or deadline around it cancels its
/// children and its body, and the scope waits for the children before the
/// cancellation takes it ([`fail_after`](super::fail_after) then reports
/// the deadline). Dropping the scope's future before it finishes (for
/// example with [`timeout`](crate::timeout), or when the task running it is
/// cancelled) cancels the children but cannot wait for them: use
/// `fail_after` rather than `timeout` around a scope.
///
/// Async children are `'static`, like spawned tasks (see the design note
/// on the scoped-task trilemma); borrowing belongs to the blocking forms
/// such as [`ThreadPool::join`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let pool = deli::ThreadPool::new(2).unwrap();
/// let outcome = deli::run(deli::scope(|s| async move {
///     let fetched = s.spawn(async {
///         deli::sleep(Duration::from_millis(5)).await;
///         Ok::<_, std::io::Error>("page")
///     });
///     let crunched = s.submit(&pool, || Ok::<_, std::io::Error>(6 * 7));
///     Ok::<_, deli::JobError>((fetched.await?, crunched.await?))
/// }));
/// assert_eq!(outcome.unwrap(), ("page", 42));
/// ```
///
/// The first failure cancels its siblings:
///
/// ```
/// use std::time::Duration;
///
/// let error = deli::run(deli::scope(|s| async move {
///     s.spawn(async {
///         deli::sleep(Duration::from_secs(60)).await; // cancelled, not awaited for a minute
///         Ok::<_, String>(())
///     });
///     s.spawn(async { Err::<(), _>("broken".to_string()) });
/// }))
/// .unwrap_err();
/// assert_eq!(error.first().unwrap().error().to_string(), "broken");
/// assert_eq!(error.failures().len(), 1);
/// ```
pub fn scope<F, Fut>(body: F) -> ScopeFuture<Fut>
where
    F: FnOnce(Scope) -> Fut,
    Fut: Future,
    Fut::Output: ChildOutput,
{
    let shared = Shared::new();
    let body = body(Scope {
        shared: shared.clone(),
    });
    ScopeFuture {
        shared,
        body: Some(body),
        value: None,
        stage: Stage::NotStarted,
        body_cut_short: false,
        cancelled_from_outside: false,
        panic: None,
    }
}

/// The handle a scope's body (and its children) start children through.
///
/// Cheap to clone; `Send` and `Sync`, so children can take it along.
#[derive(Debug, Clone)]
pub struct Scope {
    shared: Arc<Shared>,
}

impl Scope {
    /// Starts `future` as an async child on the current runtime and returns
    /// its ticket. The child's `Err` (or panic) fails the scope; its ticket
    /// then resolves to [`JobError::Failed`] carrying that error, typed (or
    /// [`JobError::Panicked`]), and the scope's error shares it.
    /// Outside a runtime the child cannot start: its ticket and the scope
    /// fail with [`JobError::NoRuntime`].
    ///
    /// # Examples
    ///
    /// ```
    /// let total = deli::run(deli::scope(|s| async move {
    ///     let tickets: Vec<_> = (1..=3u32).map(|n| s.spawn(async move { Ok::<_, String>(n) })).collect();
    ///     let mut total = 0;
    ///     for ticket in tickets {
    ///         total += ticket.await?;
    ///     }
    ///     Ok::<_, deli::JobError>(total)
    /// }));
    /// assert_eq!(total.unwrap(), 6);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Ticket<<F::Output as ChildOutput>::Value>
    where
        F: Future + Send + 'static,
        F::Output: ChildOutput,
    {
        let options = TaskOptions::here();
        let Some(guard) = self.shared.register(ChildKind::Async) else {
            return Ticket::failed(JobError::ScopeClosed);
        };
        let key = guard.key();
        let mut child = Some(AsyncChild::new(future, guard));
        let mut create = |handle: &Handle| {
            let child = child.take()?;
            Some(handle.create_fallible_with(child, options.clone()))
        };
        let created = match context::with_current(&mut create).flatten() {
            Some(created) => Some(created),
            None => self.shared.runtime().and_then(&mut create),
        };
        let started = match created {
            Some(Ok((runnable, ticket))) => {
                runnable.schedule();
                Ok((ticket, None))
            }
            Some(Err(error)) => Err(error),
            None => {
                // Its guard reports it ended before the spawn is recorded,
                // so its book entry cannot be reused in between.
                drop(child);
                Err(JobError::NoRuntime)
            }
        };
        self.finish(key, ChildKind::Async, started)
    }

    /// Runs `job` on `pool` as a child and returns its ticket. A job that
    /// has not started when the scope is cancelled never runs; a running one
    /// can watch [`pool::is_cancelled`](crate::pool::is_cancelled). The
    /// closure's `Err` or panic fails the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::convert::Infallible;
    ///
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// let sum = deli::run(deli::scope(|s| async move {
    ///     let low = s.submit(&pool, || Ok::<_, Infallible>((1..=50u64).sum::<u64>()));
    ///     let high = s.submit(&pool, || Ok::<_, Infallible>((51..=100u64).sum::<u64>()));
    ///     Ok::<_, deli::JobError>(low.await? + high.await?)
    /// }));
    /// assert_eq!(sum.unwrap(), 5050);
    /// ```
    #[track_caller]
    pub fn submit<F, O>(&self, pool: &ThreadPool, job: F) -> Ticket<O::Value>
    where
        F: FnOnce() -> O + Send + 'static,
        O: ChildOutput,
    {
        let options = TaskOptions::here();
        let Some(guard) = self.shared.register(ChildKind::Pool) else {
            return Ticket::failed(JobError::ScopeClosed);
        };
        let key = guard.key();
        let (ticket, handle) = pool.submit_fallible(pool_child(job, guard), options);
        match handle {
            Some(handle) => self.finish(key, ChildKind::Pool, Ok((ticket, Some(handle)))),
            // Never queued: the closure and its guard are gone already.
            None => self.finish_failed_ticket(key, ChildKind::Pool, ticket),
        }
    }

    /// Runs the process job `job(arguments)` on `pool` as a child and
    /// returns its ticket. Cancelling the scope kills a running job's
    /// worker (the pool replaces it); the job's failure — its own error, a
    /// crash, a timeout — fails the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn square(n: u64) -> u64 {
    ///     n * n
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::ProcessPool::new(1).unwrap();
    ///     let outcome = deli::run(deli::scope(|s| async move {
    ///         s.submit_job(&pool, square, 9).await
    ///     }));
    ///     assert_eq!(outcome.unwrap(), 81);
    /// }
    /// ```
    #[track_caller]
    pub fn submit_job<A, R>(&self, pool: &ProcessPool, job: Job<A, R>, arguments: A) -> Ticket<R>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.submit_remote(TaskOptions::here(), |options, guard| {
            pool.submit_wrapped(job, arguments, options, move |future| {
                ProcessChild::new(future, guard)
            })
        })
    }

    /// Submits `job(arguments)` to a [`ClusterPool`](crate::cluster::ClusterPool)
    /// as a child of the scope, like [`submit_job`](Scope::submit_job):
    /// the first failure in the scope cancels it on whichever machine runs
    /// it (its worker kills the job's child), and the scope waits for it.
    /// It counts as a [`ChildKind::Process`] child.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// #[deli::job]
    /// fn square(n: u64) -> u64 {
    ///     n * n
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
    ///     let outcome = deli::run(deli::scope(|s| async move {
    ///         s.submit_cluster(&pool, square, 9).await
    ///     }));
    ///     assert_eq!(outcome.unwrap(), 81);
    /// }
    /// ```
    #[cfg(feature = "cluster")]
    #[track_caller]
    pub fn submit_cluster<A, R>(
        &self,
        pool: &crate::cluster::ClusterPool,
        job: Job<A, R>,
        arguments: A,
    ) -> Ticket<R>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.submit_remote(TaskOptions::here(), |options, guard| {
            pool.submit_wrapped(job, arguments, options, move |future| {
                ProcessChild::new(future, guard)
            })
        })
    }

    /// A process or cluster job as a [`ChildKind::Process`] child: `submit`
    /// queues it with a wrapper that holds the child's guard. The wrapper
    /// is never called when the job cannot be queued; dropping it, and the
    /// guard in it, then reports the child ended.
    fn submit_remote<R>(
        &self,
        options: TaskOptions,
        submit: impl FnOnce(TaskOptions, ChildGuard) -> (Ticket<R>, Option<CancelHandle>),
    ) -> Ticket<R>
    where
        R: Send + 'static,
    {
        let Some(guard) = self.shared.register(ChildKind::Process) else {
            return Ticket::failed(JobError::ScopeClosed);
        };
        let key = guard.key();
        let (ticket, handle) = submit(options, guard);
        match handle {
            Some(handle) => self.finish(key, ChildKind::Process, Ok((ticket, Some(handle)))),
            None => self.finish_failed_ticket(key, ChildKind::Process, ticket),
        }
    }

    /// Cancels the scope: its children and its body, as a failure would,
    /// but without one. Once everything has stopped the scope returns an
    /// error for which [`ScopeError::is_cancelled`] holds — or the body's
    /// value, if nothing was left running to cut short.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = deli::run(deli::scope(|s| async move {
    ///     s.spawn(std::future::pending::<()>());
    ///     s.cancel();
    /// }));
    /// assert!(result.unwrap_err().is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.shared.cancel();
    }

    /// Whether the scope is cancelled (by a failure, [`cancel`](Scope::cancel),
    /// or a cancellation from outside).
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(deli::scope(|s| async move {
    ///     assert!(!s.is_cancelled());
    /// }))
    /// .unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.shared.is_cancelled()
    }

    fn finish<T>(
        &self,
        key: usize,
        kind: ChildKind,
        started: Result<(Ticket<T>, Option<CancelHandle>), JobError>,
    ) -> Ticket<T> {
        match started {
            Ok((ticket, handle)) => {
                self.shared.finish_spawn(key, kind, Ok(handle));
                ticket
            }
            Err(error) => {
                let ticket = Ticket::failed(error.clone());
                self.shared
                    .finish_spawn(key, kind, Err((ticket.id(), error)));
                ticket
            }
        }
    }

    /// Records a child whose ticket failed before it started.
    fn finish_failed_ticket<T>(&self, key: usize, kind: ChildKind, ticket: Ticket<T>) -> Ticket<T> {
        let error = ticket.early_error().unwrap_or(JobError::Shutdown);
        self.shared
            .finish_spawn(key, kind, Err((ticket.id(), error)));
        ticket
    }
}

/// Where a scope future is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotStarted,
    Running,
    Done,
}

/// The future of [`scope`].
#[must_use = "futures do nothing unless awaited"]
pub struct ScopeFuture<Fut>
where
    Fut: Future,
    Fut::Output: ChildOutput,
{
    shared: Arc<Shared>,
    body: Option<Fut>,
    value: Option<<Fut::Output as ChildOutput>::Value>,
    stage: Stage,
    /// The body was dropped by a cancellation before it finished.
    body_cut_short: bool,
    /// A cancellation came from a scope around this one: once everything
    /// has stopped, that scope takes this one (it stays pending).
    cancelled_from_outside: bool,
    /// The body panicked: the unwinding goes on once the children end.
    panic: Option<Box<dyn std::any::Any + Send>>,
}

impl<Fut> fmt::Debug for ScopeFuture<Fut>
where
    Fut: Future,
    Fut::Output: ChildOutput,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeFuture")
            .field("stage", &self.stage)
            .field("body_running", &self.body.is_some())
            .finish_non_exhaustive()
    }
}

impl<Fut> Future for ScopeFuture<Fut>
where
    Fut: Future,
    Fut::Output: ChildOutput,
{
    type Output = Result<<Fut::Output as ChildOutput>::Value, ScopeError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `body` is structurally pinned: never moved out, only
        // polled through the pin made below or dropped in place by
        // assigning `None`. The other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let node = this.shared.node.clone();
        match this.stage {
            // Taken by the cancellation from outside; it drops this future.
            Stage::Done => return Poll::Pending,
            Stage::NotStarted => {
                this.stage = Stage::Running;
                node.attach_to(current());
                // Whoever cancels the code around the scope must let it
                // cancel and wait for its children rather than drop it.
                node.start_holding();
            }
            Stage::Running => {}
        }
        node.register_waker(cx.waker());

        this.stop_if_cancelled();
        if let Some(body) = this.body.as_mut() {
            // SAFETY: see above.
            let body = unsafe { Pin::new_unchecked(body) };
            match node.enter(|| catch_unwind(AssertUnwindSafe(|| body.poll(cx)))) {
                Ok(Poll::Pending) => this.stop_if_cancelled(),
                Ok(Poll::Ready(output)) => {
                    this.body = None;
                    match output.into_child_result() {
                        Ok(value) => this.value = Some(value),
                        Err(error) => this.shared.record_failure(ChildFailure {
                            task: current_id().unwrap_or_else(TaskId::next),
                            kind: ChildKind::Body,
                            error: std::sync::Arc::new(error),
                        }),
                    }
                }
                Err(payload) => {
                    this.body = None;
                    this.panic = Some(payload);
                    this.shared.cancel();
                }
            }
        }
        if this.body.is_some() {
            return Poll::Pending;
        }
        let Some((failures, child_cut_short)) = this.shared.close_if_idle() else {
            return Poll::Pending;
        };
        this.stage = Stage::Done;
        node.detach();
        if let Some(payload) = this.panic.take() {
            resume_unwind(payload);
        }
        if !failures.is_empty() {
            return Poll::Ready(Err(ScopeError::failed(failures)));
        }
        if this.cancelled_from_outside {
            return Poll::Pending;
        }
        match this.value.take() {
            Some(value) if !child_cut_short && !this.body_cut_short => Poll::Ready(Ok(value)),
            _ => Poll::Ready(Err(ScopeError::cancelled())),
        }
    }
}

impl<Fut> ScopeFuture<Fut>
where
    Fut: Future,
    Fut::Output: ChildOutput,
{
    /// When the scope is cancelled: tells the children, and drops the body
    /// unless something inside it (a shield, a nested scope) holds it.
    fn stop_if_cancelled(&mut self) {
        let node = &self.shared.node;
        if !node.is_cancelled() {
            return;
        }
        if !node.state().is_cancelled() {
            self.cancelled_from_outside = true;
        }
        self.shared.cancel();
        if self.body.is_some() && !node.is_held() {
            self.body = None;
            self.body_cut_short = true;
        }
    }
}

impl<Fut> Drop for ScopeFuture<Fut>
where
    Fut: Future,
    Fut::Output: ChildOutput,
{
    fn drop(&mut self) {
        // The body goes first (a nested scope in it cancels its own children).
        self.body = None;
        // Children may exist even if it never ran: the closure that made
        // the body can start them before returning it.
        if self.stage != Stage::Done {
            self.shared.abandon();
        }
        self.shared.node.detach();
    }
}
