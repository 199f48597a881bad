//! A scope's children: the book of who is still running, how each one is
//! cancelled, and the wrappers that report how each child ended — whatever
//! the kind of work (an async task, a pool closure, a process job) and
//! however it ended (value, error, panic, or dropped unfinished).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use slab::Slab;

use super::error::{BoxError, ChildFailure, ChildKind};
use super::node::{CancelState, Node, Verdict};
use crate::poison::IgnorePoison;
use crate::runtime::{context, Handle};
use crate::task::{current_id, CancelHandle, Failure, JobError, TaskId};

/// What a scope child returns: a `Result` (its `Err` is a failure that
/// cancels the scope) or `()`.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let outcome = deli::scope(|s| async move {
///         s.spawn(async {});                                  // ()
///         s.spawn(async { Ok::<_, std::io::Error>(5) });     // Result
///     })
///     .await;
///     assert!(outcome.is_ok());
/// });
/// ```
pub trait ChildOutput: Send + 'static {
    /// What the child's ticket resolves to when it succeeds.
    type Value: Send + 'static;

    /// The child's value, or its failure.
    fn into_child_result(self) -> Result<Self::Value, BoxError>;
}

impl ChildOutput for () {
    type Value = ();

    fn into_child_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

impl<T, E> ChildOutput for Result<T, E>
where
    T: Send + 'static,
    E: Into<BoxError> + Send + 'static,
{
    type Value = T;

    fn into_child_result(self) -> Result<T, BoxError> {
        self.map_err(Into::into)
    }
}

/// Everything the scope and its children share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The scope's place in the cancel tree: its body runs in it, its
    /// async children run in nodes under it.
    pub(crate) node: Arc<Node>,
    /// The runtime the scope was made on: where async children go when
    /// the thread starting them has none (a pool child starting more).
    runtime: Option<Handle>,
    book: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    /// The scope returned: no more children.
    closed: bool,
    /// Children not yet ended, plus spawns not yet finished.
    live: usize,
    /// Set once the children have been told to stop.
    cancelling: bool,
    /// A child was stopped by that cancellation before it finished.
    cut_short: bool,
    children: Slab<Child>,
    failures: Vec<ChildFailure>,
}

#[derive(Debug, Default)]
struct Child {
    /// How to stop a pool or process child (async children stop through
    /// the cancel tree).
    handle: Option<CancelHandle>,
    /// Its spawn has been recorded.
    spawned: bool,
    /// It ended before its spawn was recorded.
    ended: bool,
}

/// How a child ended.
pub(crate) enum Outcome {
    Finished,
    Failed(Arc<BoxError>),
    /// Dropped unfinished, or stopped by a cancel: not a failure.
    Cancelled,
}

impl Shared {
    /// The shared state of a new scope; its node joins the tree where the
    /// scope is first polled.
    pub(crate) fn new() -> Arc<Shared> {
        Arc::new(Shared {
            node: Node::new(CancelState::new(None, false)),
            runtime: context::with_current(Handle::clone),
            book: Mutex::new(Book::default()),
        })
    }

    pub(crate) fn runtime(&self) -> Option<&Handle> {
        self.runtime.as_ref()
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().ignore_poison()
    }

    /// Books a new child; `None` once the scope has ended. The child counts
    /// twice until [`Shared::finish_spawn`]: once for itself, once for the
    /// spawn still in progress, so the scope cannot end in between.
    pub(crate) fn register(self: &Arc<Self>, kind: ChildKind) -> Option<ChildGuard> {
        let mut book = self.book();
        if book.closed {
            return None;
        }
        book.live += 2;
        let key = book.children.insert(Child::default());
        Some(ChildGuard {
            shared: self.clone(),
            key,
            kind,
            ended: false,
        })
    }

    /// Records how the spawn of child `key` went: started (with the handle
    /// that cancels it, for pool and process children), or kept from
    /// starting by an error (a failure).
    pub(crate) fn finish_spawn(
        &self,
        key: usize,
        kind: ChildKind,
        started: Result<Option<CancelHandle>, (TaskId, JobError)>,
    ) {
        let mut book = self.book();
        book.live -= 1;
        let mut cancel_now = false;
        let mut cancel_child = None;
        match started {
            Ok(handle) => {
                if book.cancelling {
                    cancel_child.clone_from(&handle);
                }
                match book.children.get_mut(key) {
                    Some(child) if !child.ended => {
                        child.handle = handle;
                        child.spawned = true;
                    }
                    _ => {
                        book.children.try_remove(key);
                    }
                }
            }
            Err((task, error)) => {
                book.children.try_remove(key);
                cancel_now = book.record(ChildFailure {
                    task,
                    kind,
                    error: Arc::new(Box::new(error)),
                });
            }
        }
        self.after_change(book, cancel_now);
        if let Some(handle) = cancel_child {
            handle.cancel();
        }
    }

    /// Records a failure that is no child's end (the body's own error).
    pub(crate) fn record_failure(&self, failure: ChildFailure) {
        let mut book = self.book();
        let cancel_now = book.record(failure);
        self.after_change(book, cancel_now);
    }

    fn end(&self, key: usize, kind: ChildKind, outcome: Outcome) {
        let mut book = self.book();
        book.live -= 1;
        match book.children.get_mut(key) {
            // The spawn has not been recorded yet: it removes the entry.
            Some(child) if !child.spawned => child.ended = true,
            Some(_) => {
                book.children.remove(key);
            }
            None => {}
        }
        let cancel_now = match outcome {
            Outcome::Failed(error) => book.record(ChildFailure {
                task: current_id().unwrap_or_else(TaskId::next),
                kind,
                error,
            }),
            Outcome::Cancelled => {
                book.cut_short |= book.cancelling;
                false
            }
            Outcome::Finished => false,
        };
        self.after_change(book, cancel_now);
    }

    /// Cancels the children and the scope's own state (the body, and the
    /// async children through the tree). Idempotent.
    pub(crate) fn cancel(&self) {
        let book = self.book();
        self.after_change(book, true);
    }

    /// Acts on a change to the book: on the first cancel, tells every
    /// child and the scope's own node; when nothing is left, wakes the scope.
    fn after_change(&self, mut book: MutexGuard<'_, Book>, cancel_now: bool) {
        let cancel_now = cancel_now && !book.cancelling;
        let mut to_cancel = Vec::new();
        if cancel_now {
            book.cancelling = true;
            to_cancel.extend(
                book.children
                    .iter()
                    .filter_map(|(_, child)| child.handle.clone()),
            );
        }
        let all_ended = book.live == 0;
        // Cancelling may end a child right here (a queued pool job is
        // dropped at once), and its guard takes the book's lock.
        drop(book);
        for handle in to_cancel {
            handle.cancel();
        }
        if cancel_now {
            // Wakes the scope's future, what its body runs, and the async
            // children, which drop their futures at their next poll.
            self.node.state().cancel();
        } else if all_ended {
            self.node.wake();
        }
    }

    /// Ends the scope if every child has: no child may start after this.
    /// Returns the failures then, and whether a cancellation cut a child short.
    pub(crate) fn close_if_idle(&self) -> Option<(Vec<ChildFailure>, bool)> {
        let mut book = self.book();
        if book.live > 0 {
            return None;
        }
        book.closed = true;
        Some((std::mem::take(&mut book.failures), book.cut_short))
    }

    /// Closes the scope whatever runs, cancelling what does (a scope
    /// future dropped before it finished).
    pub(crate) fn abandon(&self) {
        self.book().closed = true;
        self.cancel();
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.book().cancelling || self.node.is_cancelled()
    }
}

impl Book {
    /// Keeps a failure; says whether it is the first (which cancels).
    fn record(&mut self, failure: ChildFailure) -> bool {
        self.failures.push(failure);
        self.failures.len() == 1
    }
}

/// Reports how one child ended, exactly once: when the child says so, or
/// as [`Outcome::Cancelled`] when it is dropped unfinished.
#[derive(Debug)]
pub(crate) struct ChildGuard {
    shared: Arc<Shared>,
    key: usize,
    kind: ChildKind,
    ended: bool,
}

impl ChildGuard {
    pub(crate) fn key(&self) -> usize {
        self.key
    }

    fn end(mut self, outcome: Outcome) {
        self.ended = true;
        self.shared.end(self.key, self.kind, outcome);
    }

    /// Reports a finished child's output and turns it into its ticket's result.
    fn settle<O: ChildOutput>(
        self,
        finished: Result<O, Box<dyn std::any::Any + Send>>,
    ) -> Result<O::Value, JobError> {
        match finished.map(ChildOutput::into_child_result) {
            Ok(Ok(value)) => {
                self.end(Outcome::Finished);
                Ok(value)
            }
            Ok(Err(error)) => {
                let error = Arc::new(error);
                self.end(Outcome::Failed(error.clone()));
                Err(JobError::Failed(Failure::from_shared(error)))
            }
            Err(payload) => {
                let error = JobError::from_panic(payload);
                self.end(Outcome::Failed(Arc::new(Box::new(error.clone()))));
                Err(error)
            }
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if !self.ended {
            self.shared.end(self.key, self.kind, Outcome::Cancelled);
        }
    }
}

/// An async child inside its task: the user's future, run in a node of
/// its own under the scope's (so the scope's cancellation reaches it, and
/// what it runs — a nested scope, a shield — is waited for, not cut off),
/// and its guard.
pub(crate) struct AsyncChild<F> {
    future: Option<F>,
    parent: Arc<Node>,
    node: Option<Arc<Node>>,
    guard: Option<ChildGuard>,
}

impl<F> AsyncChild<F> {
    pub(crate) fn new(future: F, guard: ChildGuard) -> AsyncChild<F> {
        AsyncChild {
            future: Some(future),
            parent: guard.shared.node.clone(),
            node: None,
            guard: Some(guard),
        }
    }

    /// Drops the user's future (before the guard reports the child ended).
    fn stop(&mut self) -> Result<(), JobError> {
        let dropped = catch_unwind(AssertUnwindSafe(|| self.future = None));
        if let Some(node) = &self.node {
            node.detach();
        }
        dropped.map_err(JobError::from_panic)
    }
}

impl<F> Future for AsyncChild<F>
where
    F: Future,
    F::Output: ChildOutput,
{
    type Output = Result<<F::Output as ChildOutput>::Value, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: never moved, only polled
        // through the pin made below or dropped in place (assigning `None`).
        // The other fields are not pinned; `Drop` does not move `future`.
        let this = unsafe { self.get_unchecked_mut() };
        let parent = this.parent.clone();
        let node = this
            .node
            .get_or_insert_with(|| Node::attach(CancelState::new(None, false), Some(parent)))
            .clone();
        node.register_waker(cx.waker());
        if node.verdict() != Verdict::Continue {
            return Poll::Ready(this.cancelled());
        }
        let Some(future) = this.future.as_mut() else {
            // Polled after it finished: the harness never does that.
            return Poll::Ready(Err(JobError::AlreadyTaken));
        };
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(future) };
        let polled = node.enter(|| catch_unwind(AssertUnwindSafe(|| future.poll(cx))));
        let finished = match polled {
            Ok(Poll::Pending) => {
                if node.verdict() != Verdict::Continue {
                    return Poll::Ready(this.cancelled());
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(payload),
        };
        let dropped = this.stop();
        match this.guard.take() {
            Some(guard) => Poll::Ready(
                guard
                    .settle(finished)
                    .and_then(|value| dropped.map(|()| value)),
            ),
            None => Poll::Ready(Err(JobError::AlreadyTaken)),
        }
    }
}

impl<F> AsyncChild<F> {
    /// Stops the child for a cancellation: dropped, reported, `Cancelled`.
    fn cancelled<T>(&mut self) -> Result<T, JobError> {
        let _ = self.stop();
        // Dropping the guard reports the child as cancelled.
        drop(self.guard.take());
        Err(JobError::Cancelled)
    }
}

impl<F> Drop for AsyncChild<F> {
    fn drop(&mut self) {
        // The future first, then the node, then the guard (a field).
        let _ = self.stop();
    }
}

/// A pool child's closure: skipped when the scope is already cancelled,
/// otherwise run with its outcome reported.
pub(crate) fn pool_child<F, O>(
    job: F,
    guard: ChildGuard,
) -> impl FnOnce() -> Result<O::Value, JobError>
where
    F: FnOnce() -> O + Send + 'static,
    O: ChildOutput,
{
    let child = PoolChild { job, guard };
    move || child.run()
}

/// The closure and its guard, in this order: whichever way the job goes
/// (run, skipped, dropped from the queue), what the closure owns is
/// dropped before the guard tells the scope the child has ended.
struct PoolChild<F> {
    job: F,
    guard: ChildGuard,
}

impl<F, O> PoolChild<F>
where
    F: FnOnce() -> O,
    O: ChildOutput,
{
    fn run(self) -> Result<O::Value, JobError> {
        let PoolChild { job, guard } = self;
        if guard.shared.is_cancelled() {
            drop(job);
            // Dropping the guard reports the child as cancelled.
            return Err(JobError::Cancelled);
        }
        guard.settle(catch_unwind(AssertUnwindSafe(job)))
    }
}

/// A process child inside its task: the job's future plus its guard.
pub(crate) struct ProcessChild<F> {
    future: F,
    guard: Option<ChildGuard>,
}

impl<F> ProcessChild<F> {
    pub(crate) fn new(future: F, guard: ChildGuard) -> ProcessChild<F> {
        ProcessChild {
            future,
            guard: Some(guard),
        }
    }
}

impl<F, R> Future for ProcessChild<F>
where
    F: Future<Output = Result<R, JobError>> + Unpin,
{
    type Output = Result<R, JobError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(Pin::new(&mut self.future).poll(cx));
        if let Some(guard) = self.guard.take() {
            match &result {
                Ok(_) => guard.end(Outcome::Finished),
                Err(JobError::Cancelled) => guard.end(Outcome::Cancelled),
                Err(error) => guard.end(Outcome::Failed(Arc::new(Box::new(error.clone())))),
            }
        }
        Poll::Ready(result)
    }
}

impl<F> Unpin for ProcessChild<F> where F: Unpin {}
