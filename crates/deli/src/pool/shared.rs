//! The state every thread of one pool shares: the queue of submitted jobs,
//! the handles to steal from each thread's local deque, and the sleepers.
//!
//! Submitted jobs wait in one shared FIFO (a lock is fine: it is taken once
//! per job, while `join` halves, the hot path, go through the lock-free
//! local deques). Keeping them there is also what makes a cancel prompt: a
//! cancelled job is taken out of the queue and dropped on the spot, so its
//! ticket resolves even while every thread is busy. This is the pool's
//! [`Scheduler`] for the task cells. Calls `task`, `trace` (the kind of its
//! jobs) and this folder.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crossbeam_deque::Stealer;

use super::job::{JobRef, Work};
use super::sleep::Sleep;
use crate::poison::IgnorePoison;
use crate::task::{Header, Runnable, Scheduler};
use crate::trace::JobKind;

#[derive(Default)]
struct Queue {
    work: VecDeque<Work>,
    /// Set by shutdown under this lock; every push checks it under the same
    /// lock, so nothing is queued after the pool stopped taking work.
    closed: bool,
}

/// Shared by the pool handle, its threads and its task cells.
pub(super) struct Shared {
    queue: Mutex<Queue>,
    /// Mirrors the queue length so idle threads look without the lock.
    queued: AtomicUsize,
    /// Mirrors `Queue::closed` for sleeping threads.
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
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(super) fn new(stealers: Vec<Stealer<JobRef>>) -> Shared {
        let threads = stealers.len();
        Shared {
            queue: Mutex::new(Queue::default()),
            queued: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            stealers: stealers.into_boxed_slice(),
            sleep: Sleep::new(threads),
            trace_id: crate::trace::next_executor_id(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().ignore_poison()
    }

    /// Queues `work` and wakes a sleeping thread; hands it back once the
    /// pool is closed.
    pub(super) fn push(&self, work: Work) -> Result<(), Work> {
        {
            let mut queue = self.lock();
            if queue.closed {
                return Err(work);
            }
            queue.work.push_back(work);
            self.queued.store(queue.work.len(), Ordering::Relaxed);
        }
        self.sleep.notify_one();
        Ok(())
    }

    /// Takes the oldest queued job.
    pub(super) fn pop(&self) -> Option<Work> {
        if self.queued.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut queue = self.lock();
        let work = queue.work.pop_front();
        self.queued.store(queue.work.len(), Ordering::Relaxed);
        work
    }

    /// Whether a thread may find something to run (read by a thread about
    /// to sleep, after its fence).
    pub(super) fn has_work(&self) -> bool {
        self.queued.load(Ordering::Relaxed) > 0 || self.has_join_work()
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
        let queue = self.lock();
        queue.closed && queue.work.is_empty()
    }

    /// Stops taking work. With `cancel_pending`, takes out the queued
    /// submitted jobs (marked cancelled) for the caller to drop; jobs of
    /// callers blocked in `join` stay queued, since those callers wait.
    pub(super) fn close(&self, cancel_pending: bool) -> Vec<Runnable> {
        let mut cancelled = Vec::new();
        {
            let mut queue = self.lock();
            queue.closed = true;
            self.closed.store(true, Ordering::Relaxed);
            if cancel_pending {
                let mut kept = VecDeque::new();
                for work in queue.work.drain(..) {
                    match work {
                        Work::Task(task) => cancelled.push(task),
                        stack @ Work::Stack(_) => kept.push_back(stack),
                    }
                }
                queue.work = kept;
            }
            self.queued.store(queue.work.len(), Ordering::Relaxed);
        }
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
        let removed = {
            let mut queue = self.lock();
            let position = queue.work.iter().position(|work| match work {
                Work::Task(task) => std::ptr::eq(task.metadata(), header),
                Work::Stack(_) => false,
            });
            let removed = position.and_then(|position| queue.work.remove(position));
            self.queued.store(queue.work.len(), Ordering::Relaxed);
            removed
        };
        drop(removed); // outside the lock: dropping runs the closure's destructors
    }

    fn schedule_remote(&self, task: Runnable) {
        if let Err(refused) = self.push(Work::Task(task)) {
            // Dropping the task closes its cell: the ticket says Shutdown.
            drop(refused);
        }
    }
}
