//! Creating a task cell: header, harness, schedule function, ticket.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use async_task::{Builder, ScheduleInfo, WithInfo};

use super::error::JobError;
use super::harness::Harness;
use super::header::{Header, Scheduler, TaskId, TaskKind};
use super::owned::OwnedTasks;
use super::ticket::Ticket;
use super::Runnable;

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
    let id = TaskId::next();
    let create = move |owner_key: usize| {
        let header = Header {
            id,
            state: super::state::StateCell::new(),
            name: options.name,
            spawned_at: options.spawned_at,
            kind: options.kind,
            scheduler,
            owner_key,
        };
        let schedule = WithInfo(move |runnable: Runnable, info: ScheduleInfo| {
            runnable.metadata().state.to_ready();
            schedule(runnable, info);
        });
        // SAFETY: `spawn_unchecked` only relaxes the `Send`/`'static` bounds
        // of `spawn`. The future is `Send + 'static` except that the harness
        // borrows the header, which is the task's own metadata and lives in
        // the same allocation for as long as the future does — exactly the
        // borrow this API exists for. The schedule function is
        // `Send + Sync + 'static`.
        let (runnable, task) = unsafe {
            Builder::new().metadata(header).spawn_unchecked(
                move |header: &Header| Harness::new(header, future),
                schedule,
            )
        };
        (runnable, Ticket::from_task(task))
    };
    match registry {
        None => Ok(create(usize::MAX)),
        Some(registry) => registry
            .bind(id, |key| {
                let (runnable, ticket) = create(key);
                (runnable.waker(), (runnable, ticket))
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
