//! The state every thread of one pool shares: the queue of submitted jobs,
//! the handles to steal from each thread's local deque, and the sleepers.
//!
//! Submitted jobs wait in one shared FIFO (a lock is fine: it is taken once
//! per job, while `join` halves, the hot path, go through the lock-free
//! local deques). Keeping them there is also what makes a cancel prompt: a
//! cancelled job is taken out of the queue and dropped on the spot, so its
//! ticket resolves even while every thread is busy. This is the pool's
//! [`Scheduler`] for the task cells. Calls `task`, `trace` (the kind of its
//! jobs), the leaf `crate::fifo` and this folder.

use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_deque::Stealer;

use super::job::{JobRef, Work};
use super::sleep::Sleep;
use crate::fifo::Fifo;
use crate::task::{Header, Runnable, Scheduler};
use crate::trace::JobKind;

/// Shared by the pool handle, its threads and its task cells.
pub(super) struct Shared {
    /// Submitted jobs and `join` halves of callers outside the pool. Closed
    /// by shutdown; every push checks under the queue's lock, so nothing is
    /// queued after the pool stopped taking work.
    queue: Fifo<Work>,
    /// Mirrors the queue's closing for sleeping threads.
    closed: AtomicBool,
    pub(super) stealers: Box<[Stealer<JobRef>]>,
    pub(super) sleep: Sleep,
    /// This pool's number in trace lanes.
    pub(super) trace_id: u64,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("threads", &self.stealers.len())
            .field("queued", &self.queue.len())
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(super) fn new(stealers: Vec<Stealer<JobRef>>) -> Shared {
        let threads = stealers.len();
        Shared {
            queue: Fifo::new(),
            closed: AtomicBool::new(false),
            stealers: stealers.into_boxed_slice(),
            sleep: Sleep::new(threads),
            trace_id: crate::trace::next_executor_id(),
        }
    }

    /// Queues `work` and wakes a sleeping thread; hands it back once the
    /// pool is closed.
    pub(super) fn push(&self, work: Work) -> Result<(), Work> {
        self.queue.push(work)?;
        self.sleep.notify_one();
        Ok(())
    }

    /// Takes the oldest queued job.
    pub(super) fn pop(&self) -> Option<Work> {
        self.queue.pop()
    }

    /// Whether a thread may find something to run (read by a thread about
    /// to sleep, after its fence).
    pub(super) fn has_work(&self) -> bool {
        !self.queue.is_empty() || self.has_join_work()
    }

    /// Whether some thread's deque holds a `join` half to steal.
    pub(super) fn has_join_work(&self) -> bool {
        self.stealers.iter().any(|stealer| !stealer.is_empty())
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// A thread may exit: the pool is closed and its queue is empty. Under
    /// the lock, so a job pushed before the close is always seen.
    pub(super) fn is_finished(&self) -> bool {
        self.queue.is_closed_and_empty()
    }

    /// Stops taking work. With `cancel_pending`, takes out the queued
    /// submitted jobs (marked cancelled) for the caller to drop; jobs of
    /// callers blocked in `join` stay queued, since those callers wait.
    pub(super) fn close(&self, cancel_pending: bool) -> Vec<Runnable> {
        // `join` halves stay queued (their callers wait for them); with
        // `cancel_pending`, submitted jobs come out.
        let taken = self
            .queue
            .close_keeping(|work| !cancel_pending || matches!(work, Work::Stack(_)));
        self.closed.store(true, Ordering::Relaxed);
        let cancelled: Vec<Runnable> = taken
            .into_iter()
            .filter_map(|work| match work {
                Work::Task(task) => Some(task),
                Work::Stack(_) => None,
            })
            .collect();
        for task in &cancelled {
            task.metadata().state.request_cancel();
        }
        self.sleep.notify_all();
        cancelled
    }
}

impl Scheduler for Shared {
    fn job_kind(&self) -> JobKind {
        JobKind::Pool
    }

    fn wake_for_cancel(&self, header: &Header) {
        // A queued job is taken out and dropped here, so its ticket says
        // Cancelled now. A job already taken by a thread is seen cancelled
        // by the harness before it runs, or finishes as Cancelled if it was
        // running.
        let removed = self.queue.remove_first(|work| match work {
            Work::Task(task) => std::ptr::eq(task.metadata(), header),
            Work::Stack(_) => false,
        });
        drop(removed); // outside the lock: dropping runs the closure's destructors
    }

    fn schedule_remote(&self, task: Runnable) {
        if let Err(refused) = self.push(Work::Task(task)) {
            // Dropping the task closes its cell: the ticket says Shutdown.
            drop(refused);
        }
    }
}
