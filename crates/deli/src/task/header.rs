//! The header every task cell carries: identity, lifecycle, and the way
//! back to the scheduler that owns it.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use super::owned::OwnedTasks;
use super::state::{State, StateCell};
use crate::trace::{self, JobKind, Moment};

/// A task's identity, unique within the process for its whole run. Ids
/// grow in spawn order on each thread but not across threads (a thread
/// takes them in blocks), so compare them for identity, not for age.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let a = deli::spawn(async {});
///     let b = deli::spawn(async {});
///     assert_ne!(a.id(), b.id());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    pub(crate) fn next() -> TaskId {
        /// Ids a thread takes from the shared counter at once.
        const BLOCK: u64 = 1024;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            /// The rest of this thread's block: next id, end (exclusive).
            static BLOCK_LEFT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        // Every spawn needs an id, and a shared atomic add per spawn was one
        // of the locked instructions that made a task cost more than
        // tokio's (`scheduler/chained_spawn-ct`); a block per thread makes
        // it one per `BLOCK` spawns. Ids stay unique and increase on each
        // thread, not across threads. A thread whose locals are gone takes
        // one id at a time.
        let id = BLOCK_LEFT
            .try_with(|left| {
                let (next, end) = left.get();
                if next < end {
                    left.set((next + 1, end));
                    return next;
                }
                let start = NEXT.fetch_add(BLOCK, Ordering::Relaxed);
                left.set((start + 1, start.saturating_add(BLOCK)));
                start
            })
            .unwrap_or_else(|_| NEXT.fetch_add(1, Ordering::Relaxed));
        // The u64 counter cannot wrap to zero in practice (2^54 blocks: one
        // a microsecond, for a thread started that often, lasts 571 years);
        // saturate rather than panic.
        TaskId(NonZeroU64::new(id).unwrap_or(NonZeroU64::MAX))
    }

    /// The id as a plain number.
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// The id behind [`as_u64`](TaskId::as_u64); `None` for zero.
    pub(crate) fn from_u64(id: u64) -> Option<TaskId> {
        NonZeroU64::new(id).map(TaskId)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task#{}", self.0)
    }
}

/// What kind of work a task cell carries: it decides what a cancel means
/// once the work is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskKind {
    /// An async task: cancelled at its next poll; a poll that completes
    /// despite the request keeps its value.
    Async,
    /// A closure run to completion in one poll (a blocking call, a pool
    /// job): it cannot be stopped from outside, only asked (it can read
    /// [`is_cancel_requested`](super::is_cancel_requested)); a cancel
    /// requested while it runs makes its result `Cancelled` whatever it
    /// returns, so the ticket resolves when the closure has really stopped.
    Closure,
}

/// What a task needs from the scheduler that owns it, beyond being queued
/// (queueing goes through the schedule function given at spawn).
pub(crate) trait Scheduler: Send + Sync + 'static {
    /// The registry of live tasks, for schedulers that keep one.
    fn registry(&self) -> Option<&OwnedTasks> {
        None
    }

    /// The task was asked to cancel: make sure it gets polled (or dropped)
    /// soon. A registered task is woken through the registry.
    fn wake_for_cancel(&self, header: &Header) {
        if let Some(registry) = self.registry() {
            registry.wake(header);
        }
    }

    /// Whether the scheduler has shut down and forgotten its waiting tasks:
    /// an async task that would wait now would never be woken or dropped.
    fn is_shut_down(&self) -> bool {
        self.registry().is_some_and(OwnedTasks::is_closed)
    }

    /// The task's future is gone (finished, cancelled or dropped): forget
    /// whatever the scheduler kept to find the task.
    fn release(&self, header: &Header) {
        if let Some(registry) = self.registry() {
            registry.remove(header);
        }
    }

    /// What the trace calls this scheduler's tasks.
    fn job_kind(&self) -> JobKind {
        JobKind::Async
    }

    /// Queues a task woken from a thread that does not belong to this
    /// scheduler. The caller holds its own reference to the scheduler: the
    /// task may run, finish and free its header before this returns.
    fn schedule_remote(&self, task: super::Runnable);
}

/// Identity, lifecycle and ownership of one task; lives inside the task
/// cell, next to the future.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    pub(crate) state: StateCell,
    pub(crate) name: Option<Box<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) kind: TaskKind,
    /// What the trace calls this task (its scheduler's [`Scheduler::job_kind`]).
    pub(crate) job_kind: JobKind,
    pub(crate) scheduler: Arc<dyn Scheduler>,
    /// Where the owning scheduler keeps this task (a registry slot), or
    /// `usize::MAX` when it keeps nothing.
    pub(crate) owner_key: usize,
    /// When the task entered its current state, on the coarse clock
    /// (`task::clock`): for the runtime's task listing.
    pub(crate) since: AtomicU32,
}

impl Header {
    pub(crate) fn state(&self) -> State {
        self.state.load()
    }

    /// Records in the trace, when it is on, that the task went from `from`
    /// to `to` (`from == to` for its creation).
    #[inline]
    pub(crate) fn trace(&self, from: State, to: State) {
        self.trace_at(from, to, Moment::Now);
    }

    /// [`trace`](Header::trace) with a say in when (see [`Moment`]).
    #[inline]
    pub(crate) fn trace_at(&self, from: State, to: State, at: Moment) {
        // Every recorded transition passes here: stamp it for the task
        // listing. The clock is read elsewhere, and the stamp is written
        // only when the coarse millisecond has moved, so a task that
        // changes state many times a millisecond stores nothing.
        let now = super::clock::coarse_now();
        if self.since.load(Ordering::Relaxed) != now {
            self.since.store(now, Ordering::Relaxed);
        }
        let session = trace::session();
        if session != 0 {
            self.record(session, from, to, at);
        }
    }

    #[inline]
    fn record(&self, session: u64, from: State, to: State, at: Moment) {
        // A process job's cell only waits for the child's reply: its runs
        // are the child's, recorded by the pool's driver on the child's
        // lane. Of the cell's own transitions only birth, first queueing
        // and end say anything.
        let said_by_cell = matches!((from, to), (_, State::New | State::Terminated))
            || (from, to) == (State::New, State::Ready);
        if self.job_kind == JobKind::Process && !said_by_cell {
            return;
        }
        let name = self.name.as_deref();
        trace::record_in(session, self.id, self.job_kind, to, name, at);
    }

    /// Asks the task to stop; wakes it (once) so the request is seen.
    pub(crate) fn cancel(&self) {
        if self.state.request_cancel() {
            self.scheduler.wake_for_cancel(self);
        }
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("id", &self.id)
            .field("state", &self.state())
            .field("name", &self.name)
            .field("spawned_at", &self.spawned_at)
            .finish_non_exhaustive()
    }
}
