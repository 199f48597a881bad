//! Creating a task cell: header, harness, schedule function, ticket.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_task::{Builder, ScheduleInfo, WithInfo};

use super::cancel_handle::CancelHandle;
use super::error::JobError;
use super::harness::{Harness, TaskOutput};
use super::header::{Header, Scheduler, TaskId, TaskKind};
use super::owned::OwnedTasks;
use super::state::State;
use super::ticket::Ticket;
use super::Runnable;
use crate::trace::Moment;

/// What a caller may say about a task it spawns.
#[derive(Debug, Clone)]
pub(crate) struct TaskOptions {
    pub(crate) name: Option<Box<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) kind: TaskKind,
}

impl TaskOptions {
    #[track_caller]
    pub(crate) fn here() -> TaskOptions {
        TaskOptions {
            name: None,
            spawned_at: Location::caller(),
            kind: TaskKind::Async,
        }
    }

    /// The same options for another kind of work.
    pub(crate) fn kind(mut self, kind: TaskKind) -> TaskOptions {
        self.kind = kind;
        self
    }
}

/// Creates a task for `future`, owned by `scheduler`, and returns it New:
/// nothing runs until the returned [`Runnable`] is scheduled. Every later
/// wake goes through `schedule` (which sees whether the task woke itself
/// while running, i.e. yielded).
///
/// When `registry` is given the task is registered there (so shutdown and
/// cancel can reach it while it waits); a closed registry refuses the task
/// with [`JobError::Shutdown`].
pub(crate) fn spawn_unscheduled<F, S>(
    future: F,
    options: TaskOptions,
    scheduler: Arc<dyn Scheduler>,
    registry: Option<&OwnedTasks>,
    schedule: S,
) -> Result<(Runnable, Ticket<F::Output>), JobError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn_cell(
        move |header: &Header| Harness::new(header, future),
        options,
        scheduler,
        registry,
        schedule,
    )
}

/// [`spawn_unscheduled`] for a future that can fail on its own terms: its
/// `Err` becomes the ticket's error instead of being nested in the value
/// (a process job whose worker died, for one).
pub(crate) fn spawn_unscheduled_fallible<F, T, S>(
    future: F,
    options: TaskOptions,
    scheduler: Arc<dyn Scheduler>,
    registry: Option<&OwnedTasks>,
    schedule: S,
) -> Result<(Runnable, Ticket<T>), JobError>
where
    F: Future<Output = Result<T, JobError>> + Send + 'static,
    T: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn_cell(
        move |header: &Header| Flatten(Harness::new(header, future)),
        options,
        scheduler,
        registry,
        schedule,
    )
}

/// [`spawn_unscheduled`] for a future that is not `Send`: the caller
/// promises that the task is polled and dropped only on the thread that
/// created it — every `Runnable` of it is run or dropped there, which a
/// local executor (`runtime::local`) guarantees by queueing wakes from
/// other threads and draining its tasks itself before it goes away. The
/// output must be `Send`: the ticket may take it to another thread.
pub(crate) fn spawn_local_unscheduled<F, S>(
    future: F,
    options: TaskOptions,
    scheduler: Arc<dyn Scheduler>,
    registry: Option<&OwnedTasks>,
    schedule: S,
) -> Result<(Runnable, Ticket<F::Output>), JobError>
where
    F: Future + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    spawn_cell(
        move |header: &Header| Harness::new(header, future),
        options,
        scheduler,
        registry,
        schedule,
    )
}

/// Unnests a fallible future's result inside its harness's output.
struct Flatten<H>(H);

impl<H, T> Future for Flatten<H>
where
    H: Future<Output = TaskOutput<Result<Result<T, JobError>, JobError>>>,
{
    type Output = TaskOutput<Result<T, JobError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the only field; `Flatten` never
        // moves it and has no `Drop` or `Unpin` impl of its own.
        let inner = unsafe { self.map_unchecked_mut(|flatten| &mut flatten.0) };
        inner.poll(cx).map(TaskOutput::flatten)
    }
}

fn spawn_cell<'a, M, H, T, S>(
    make: M,
    options: TaskOptions,
    scheduler: Arc<dyn Scheduler>,
    registry: Option<&OwnedTasks>,
    schedule: S,
) -> Result<(Runnable, Ticket<T>), JobError>
where
    M: FnOnce(&'a Header) -> H + 'static,
    H: Future<Output = TaskOutput<Result<T, JobError>>> + 'a,
    T: Send + 'static,
    S: Fn(Runnable, ScheduleInfo) + Send + Sync + 'static,
{
    let id = TaskId::next();
    let create = move |owner_key: usize| {
        let header = Header {
            id,
            state: super::state::StateCell::new(),
            name: options.name,
            spawned_at: options.spawned_at,
            kind: options.kind,
            job_kind: scheduler.job_kind(),
            scheduler,
            owner_key,
            since: std::sync::atomic::AtomicU32::new(super::clock::coarse_now()),
        };
        let schedule = WithInfo(move |runnable: Runnable, info: ScheduleInfo| {
            let header = runnable.metadata();
            let from = header.state.to_ready();
            // From Running, the poll is still on: its end records Ready.
            if matches!(from, State::Running | State::Ready | State::Terminated) {
            } else if info.woken_while_running || from == State::New {
                // Queued again the moment a poll that woke it ended, or
                // first queued right after it was made (a task made now and
                // started later says so: see `trace::time_passes`).
                header.trace_at(from, State::Ready, Moment::RightAfter);
            } else {
                header.trace(from, State::Ready);
            }
            schedule(runnable, info);
        });
        // SAFETY: `spawn_unchecked` only relaxes the `Send`/`'static` bounds
        // of `spawn`. The future (a harness around the caller's
        // `Send + 'static` future) is `Send + 'static` except that it
        // borrows the header, which is the task's own metadata and lives in
        // the same allocation for as long as the future does — exactly the
        // borrow this API exists for. The schedule function is
        // `Send + Sync + 'static`. A future that is not `Send` comes only
        // through `spawn_local_unscheduled`, whose caller keeps every poll
        // and drop of it on its own thread (see there).
        let (runnable, task) = unsafe {
            Builder::new()
                .metadata(header)
                .spawn_unchecked(make, schedule)
        };
        runnable.metadata().trace(State::New, State::New);
        (runnable, Ticket::from_task(task))
    };
    match registry {
        None => Ok(create(usize::MAX)),
        Some(registry) => registry
            .bind(id, |key, waker_now| {
                let (runnable, ticket) = create(key);
                let header = std::ptr::NonNull::from(runnable.metadata());
                let waker = waker_now.then(|| {
                    // The creator owns the new task: its flag to set.
                    runnable.metadata().state.mark_waker_kept();
                    runnable.waker()
                });
                (header, waker, (runnable, ticket))
            })
            .ok_or(JobError::Shutdown),
    }
}

/// A schedule function for schedulers that queue every wake the same way,
/// wherever it comes from: it hands the task to
/// [`Scheduler::schedule_remote`], holding its own reference to the
/// scheduler for the duration (the task may finish and free its header
/// before the call returns).
pub(crate) fn schedule_through_header(task: Runnable, _info: ScheduleInfo) {
    let scheduler = task.metadata().scheduler.clone();
    scheduler.schedule_remote(task);
}

/// Creates a closure job owned by `scheduler` — a task cell whose future
/// runs `job` in its first poll, of kind [`TaskKind::Closure`] — and queues
/// it at once through [`Scheduler::schedule_remote`]. What the blocking
/// pool and the thread pool both submit.
pub(crate) fn spawn_closure<F, T>(
    job: F,
    options: TaskOptions,
    scheduler: Arc<dyn Scheduler>,
) -> Ticket<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let job = ClosureFuture(Some(job));
    let options = options.kind(TaskKind::Closure);
    let created = spawn_unscheduled(job, options, scheduler, None, schedule_through_header);
    schedule_created(created, |_| ()).0
}

/// [`spawn_closure`] for a closure that can fail on its own terms (its
/// `Err` becomes the ticket's error), also returning a handle that cancels
/// the job without its ticket.
pub(crate) fn spawn_closure_fallible<F, T>(
    job: F,
    options: TaskOptions,
    scheduler: Arc<dyn Scheduler>,
) -> (Ticket<T>, Option<CancelHandle>)
where
    F: FnOnce() -> Result<T, JobError> + Send + 'static,
    T: Send + 'static,
{
    let job = ClosureFuture(Some(job));
    let options = options.kind(TaskKind::Closure);
    let created =
        spawn_unscheduled_fallible(job, options, scheduler, None, schedule_through_header);
    schedule_created(created, CancelHandle::new)
}

/// Schedules a task just created, first taking what `keep` wants from it
/// (a [`CancelHandle`], or nothing); a task that could not be created
/// becomes a ticket failed with the reason.
fn schedule_created<T, K>(
    created: Result<(Runnable, Ticket<T>), JobError>,
    keep: impl FnOnce(&Runnable) -> K,
) -> (Ticket<T>, Option<K>) {
    match created {
        Ok((runnable, ticket)) => {
            let kept = keep(&runnable);
            runnable.schedule();
            (ticket, Some(kept))
        }
        Err(error) => (Ticket::failed(error), None),
    }
}

/// A closure seen as a future that completes in its first poll.
struct ClosureFuture<F>(Option<F>);

impl<F> Unpin for ClosureFuture<F> {}

impl<F: FnOnce() -> T, T> Future for ClosureFuture<F> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        match self.0.take() {
            Some(job) => Poll::Ready(job()),
            // The harness never polls a finished future.
            None => Poll::Pending,
        }
    }
}
