//! What the threads of one multi-thread runtime share ([`Shared`]): the
//! worker slots' [`Remote`] parts, the injector, the idle accounting, the
//! spare slot table, the driver, the blocking pool and the task registry;
//! and the few operations every part needs on them — queueing a task that
//! has no worker, draining a slot, waking a sleeper, shutting down.
//!
//! It may use the slot-level pieces (`queue`, `lifo`, `idle`, `spares`) and
//! the runtime's leaves (`inject`, `park`, `driver`, `blocking`); the
//! threads that run on it (`worker`, `monitor`) use it, never the reverse.

use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::idle::Idle;
use super::lifo::LifoSlot;
use super::queue::{self, Local, Overflow, Steal};
use super::spares::{SlotState, Spares};
use crate::poison::IgnorePoison;
use crate::runtime::blocking::BlockingPool;
use crate::runtime::driver::Driver;
use crate::runtime::inject::{drain_until_quiet, Inject};
use crate::runtime::metrics::{RuntimeMetrics, WorkerCounters};
use crate::runtime::park::Parker;
use crate::task::{OwnedTasks, Runnable, Scheduler, TaskId};

/// The low bits of a poll word count polls; the high ones hold the polled
/// task's id (its low 44 bits), so the monitor can name a stuck task.
pub(crate) const POLL_SEQ_BITS: u32 = 20;
/// The bits of a task id a poll word keeps.
pub(crate) const POLL_ID_MASK: u64 = u64::MAX >> POLL_SEQ_BITS;

/// The word a worker stores before its `seq`-th poll, of task `id`. Two
/// polls give different words unless 2^20 polls lie between them.
pub(crate) fn poll_word(id: TaskId, seq: u64) -> u64 {
    (id.as_u64() << POLL_SEQ_BITS) | (seq & ((1 << POLL_SEQ_BITS) - 1))
}

/// Makes a worker thread part of its runtime (sets the thread's runtime
/// context, so `deli::spawn`, I/O and timers work in its tasks); what it
/// returns is kept for the thread's life. Given by whoever builds the
/// runtime, which knows the context; the scheduler itself does not.
pub(crate) type EnterThread = fn(&Arc<Shared>) -> Box<dyn Any>;

/// What other threads can reach of one worker slot.
#[derive(Debug)]
pub(crate) struct Remote {
    pub(crate) steal: Steal<Runnable>,
    pub(crate) lifo: LifoSlot,
    pub(crate) parker: Parker,
    /// Rewritten by the worker at the start of every poll ([`poll_word`]):
    /// a thief, or the monitor, that sees it unchanged for a while knows
    /// the worker is stuck in one poll.
    pub(crate) polls: AtomicU64,
    /// Set by the monitor when it puts a spare in this worker's place: the
    /// worker retires to the spares when its long poll returns.
    pub(crate) retire: AtomicBool,
    /// The OS thread id of the thread running in this slot (0 before one
    /// starts), for the monitor's look at its scheduling (`sched`).
    pub(crate) tid: AtomicI32,
    /// Polls, steals and parks, for `Runtime::metrics`: written by the
    /// slot's thread only, on the slot's own cache lines.
    pub(crate) counters: WorkerCounters,
}

/// Where a slot's queued tasks are taken from: by its own worker (which
/// pops its queue, borrowing it for one pop at a time, so a task that
/// wakes another as it is handed on or dropped finds the queue free) or by
/// anyone else (who steals it, through a scratch queue of their own).
pub(crate) enum QueueAccess<'a> {
    Owner(&'a RefCell<Local<Runnable>>),
    Thief(&'a mut Local<Runnable>),
}

/// Everything the threads of one multi-thread runtime share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// One per worker slot (the configured workers, then the spares), each
    /// on cache lines of its own: a worker writes its poll word on every
    /// poll, which must not slow down its neighbour.
    remotes: Box<[CachePadded<Remote>]>,
    /// The configured number of workers: at most this many run tasks.
    workers: usize,
    spares: Spares,
    monitor: Mutex<Option<JoinHandle<()>>>,
    inject: Inject<Runnable>,
    idle: Idle,
    owned: OwnedTasks,
    driver: Driver,
    blocking: BlockingPool,
    shutdown: AtomicBool,
    /// Blocking episodes the monitor has seen (written by the monitor).
    blocked_episodes: AtomicU64,
    /// This runtime's number in trace lanes.
    trace_id: u64,
    thread_name: String,
    enter_thread: EnterThread,
}

/// What [`Shared::new`] needs besides the slots.
#[derive(Debug)]
pub(crate) struct Parts {
    pub(crate) workers: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) driver: Driver,
    pub(crate) blocking: BlockingPool,
    pub(crate) trace_id: u64,
    pub(crate) thread_name: String,
    pub(crate) enter_thread: EnterThread,
}

impl Shared {
    /// The shared state of `slots` worker slots, `parts.workers` of them
    /// active; returns it with the active slots' queues (the spare slots'
    /// queues wait in the spare table).
    pub(crate) fn new(parts: Parts, slots: usize) -> (Arc<Shared>, Vec<Local<Runnable>>) {
        let mut locals = Vec::with_capacity(slots);
        let mut remotes = Vec::with_capacity(slots);
        for _ in 0..slots {
            let (local, steal) = queue::local();
            locals.push(local);
            remotes.push(CachePadded::new(Remote {
                steal,
                lifo: LifoSlot::new(),
                parker: Parker::new(),
                polls: AtomicU64::new(0),
                retire: AtomicBool::new(false),
                tid: AtomicI32::new(0),
                counters: WorkerCounters::default(),
            }));
        }
        let spare_locals = locals.split_off(parts.workers);
        let shared = Arc::new(Shared {
            remotes: remotes.into_boxed_slice(),
            workers: parts.workers,
            spares: Spares::new(parts.workers, spare_locals, parts.keep_alive),
            monitor: Mutex::new(None),
            inject: Inject::new(),
            idle: Idle::new(parts.workers, slots),
            owned: OwnedTasks::new(parts.workers),
            driver: parts.driver,
            blocking: parts.blocking,
            shutdown: AtomicBool::new(false),
            blocked_episodes: AtomicU64::new(0),
            trace_id: parts.trace_id,
            thread_name: parts.thread_name,
            enter_thread: parts.enter_thread,
        });
        (shared, locals)
    }

    /// Counts a blocking episode (the monitor, when one starts).
    pub(crate) fn count_blocked_episode(&self) {
        self.blocked_episodes.fetch_add(1, Ordering::Relaxed);
    }

    /// The runtime's counters as of now (see `RuntimeMetrics`).
    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        let mut states = Vec::new();
        self.spares.snapshot(&mut states);
        let in_use = self.spares.in_use();
        let worker_rows = (0..in_use)
            .map(|index| {
                let remote = &self.remotes[index];
                let state = match states.get(index) {
                    Some(SlotState::Active) => "active",
                    Some(SlotState::Blocked) => "blocked",
                    Some(SlotState::Spare) => "spare",
                    Some(SlotState::Exiting) => "exiting",
                    Some(SlotState::Vacant) | None => "vacant",
                };
                remote.counters.read(index, state, remote.steal.len())
            })
            .collect();
        let blocked_workers = states.iter().filter(|s| **s == SlotState::Blocked).count();
        let threads = states
            .iter()
            .filter(|s| !matches!(s, SlotState::Vacant))
            .count();
        RuntimeMetrics {
            flavor: "multi-thread".to_owned(),
            workers: self.workers,
            worker_rows,
            injector_depth: self.inject.len(),
            live_tasks: self.owned.len(),
            blocked_episodes: self.blocked_episodes.load(Ordering::Relaxed),
            blocked_workers,
            // Threads beyond the configured workers stand in for blocked ones
            // (or wait to), at most one per blocked worker running tasks.
            spares_in_use: threads.saturating_sub(self.workers).min(blocked_workers),
        }
    }

    /// The slot `index`'s parts other threads reach.
    pub(crate) fn remote(&self, index: usize) -> &Remote {
        &self.remotes[index]
    }

    /// How many worker slots there are (workers and spares).
    pub(crate) fn slots(&self) -> usize {
        self.remotes.len()
    }

    /// The configured number of workers.
    pub(crate) fn workers(&self) -> usize {
        self.workers
    }

    pub(crate) fn spares(&self) -> &Spares {
        &self.spares
    }

    pub(crate) fn inject(&self) -> &Inject<Runnable> {
        &self.inject
    }

    pub(crate) fn idle(&self) -> &Idle {
        &self.idle
    }

    pub(crate) fn owned(&self) -> &OwnedTasks {
        &self.owned
    }

    pub(crate) fn driver(&self) -> &Driver {
        &self.driver
    }

    pub(crate) fn blocking(&self) -> &BlockingPool {
        &self.blocking
    }

    pub(crate) fn trace_id(&self) -> u64 {
        self.trace_id
    }

    /// The name of the worker thread on slot `index`.
    pub(crate) fn thread_name(&self, index: usize) -> String {
        format!("{}-{index}", self.thread_name)
    }

    /// The name of the monitor thread.
    pub(crate) fn monitor_thread_name(&self) -> String {
        format!("{}-monitor", self.thread_name)
    }

    /// Makes the calling worker thread part of this runtime.
    pub(crate) fn enter_thread(self: &Arc<Self>) -> Box<dyn Any> {
        (self.enter_thread)(self)
    }

    /// Keeps the monitor thread, for shutdown to wake and join.
    pub(crate) fn set_monitor(&self, thread: JoinHandle<()>) {
        *self.monitor.lock().ignore_poison() = Some(thread);
    }

    /// Wakes a sleeping worker if new work needs one.
    pub(crate) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.remotes[worker].parker.unpark(&self.driver);
        }
    }

    /// Whether any queue holds a task a searcher could take right away (the
    /// last searcher's final look). Fast-path slots do not count: a busy
    /// worker's slot is not for the taking, and counting it had the last
    /// searcher wake itself in a loop while its neighbour ran a long poll;
    /// a stuck worker's slot is found by the idle workers' watch instead.
    pub(crate) fn has_work_anywhere(&self) -> bool {
        !self.inject.is_empty()
            || self.remotes[..self.spares.in_use()]
                .iter()
                .any(|remote| !remote.steal.is_empty())
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Queues `task` on the injector, for any worker; once the runtime has
    /// shut down, drops it instead, which resolves its ticket to
    /// `Shutdown`. Returns whether it was queued.
    pub(crate) fn push_or_drop(&self, task: Runnable) -> bool {
        match self.inject.push(task) {
            Ok(()) => true,
            Err(task) => {
                drop(task);
                false
            }
        }
    }

    /// Hands every task slot `index` holds — its fast-path task, then its
    /// queue — to `each`, oldest first. Returns whether there was any.
    pub(crate) fn drain_slot(
        &self,
        index: usize,
        queue: QueueAccess<'_>,
        mut each: impl FnMut(Runnable),
    ) -> bool {
        let remote = &self.remotes[index];
        let mut any = false;
        let mut take = |task| {
            any = true;
            each(task);
        };
        if let Some(task) = remote.lifo.take() {
            take(task);
        }
        match queue {
            QueueAccess::Owner(local) => loop {
                let next = local.borrow_mut().pop();
                match next {
                    Some(task) => take(task),
                    None => break,
                }
            },
            QueueAccess::Thief(scratch) => {
                while let Some(task) = remote.steal.steal_into(scratch) {
                    take(task);
                    while let Some(task) = scratch.pop() {
                        take(task);
                    }
                }
            }
        }
        any
    }

    /// Stops the workers, spares and monitor and joins their threads —
    /// until `deadline`, if given: a thread still inside a task's poll then
    /// is left to exit when that poll returns — and drops every task left.
    /// Called once, by the runtime. Returns whether every thread exited.
    pub(crate) fn shutdown(&self, workers: Vec<JoinHandle<()>>, deadline: Option<Instant>) -> bool {
        self.owned.close();
        self.shutdown.store(true, Ordering::Release);
        for remote in self.remotes.iter() {
            remote.parker.unpark(&self.driver);
        }
        let mut threads = workers;
        threads.extend(self.spares.close());
        let monitor = self.monitor.lock().ignore_poison().take();
        if let Some(monitor) = monitor {
            // It sleeps between samples; it sees the shutdown when woken.
            monitor.thread().unpark();
            threads.push(monitor);
        }
        let this_thread = std::thread::current().id();
        let mut all_exited = true;
        for thread in threads {
            // Dropping the runtime inside one of its own tasks: that worker
            // is us, mid-poll. It stops, and drops its queue, when the poll
            // returns; joining it would wait for ourselves.
            if thread.thread().id() == this_thread {
                continue;
            }
            if let Some(deadline) = deadline {
                while !thread.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if !thread.is_finished() {
                    // Stuck in a poll: it holds its own reference to
                    // everything it touches, and exits once the poll returns.
                    all_exited = false;
                    continue;
                }
            }
            // A worker thread that panicked outside a task has nothing left
            // to hand back; its queue was drained by its exit guard.
            let _ = thread.join();
        }
        if !all_exited {
            // A thread left behind may hold queued tasks (its own queue or
            // fast-path slot) that its exit would have dropped: drop them
            // now, so their tickets resolve instead of waiting for it.
            let (mut scratch, _steal) = queue::local();
            for index in 0..self.remotes.len() {
                self.drain_slot(index, QueueAccess::Thief(&mut scratch), drop);
            }
        }
        drain_until_quiet(&self.owned, &self.inject);
        self.driver.shutdown();
        all_exited
    }
}

impl Scheduler for Shared {
    fn registry(&self) -> Option<&OwnedTasks> {
        Some(&self.owned)
    }

    fn schedule_remote(&self, task: Runnable) {
        if self.push_or_drop(task) {
            self.notify_parked();
        }
    }
}

/// A full local queue spills into the injector.
impl<T> Overflow<T> for Inject<T> {
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = T>) {
        Inject::push_batch(self, tasks);
    }
}
