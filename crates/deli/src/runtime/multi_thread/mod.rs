//! The multi-thread scheduler: one worker per core, work stealing.
//!
//! Each worker owns a bounded local run queue ([`queue`](super::queue)) and
//! a one-task fast-path slot for the task its current task just woke (the
//! "LIFO slot": a message-passing pair then runs back to back, hot in
//! cache). Spawns and wakes from other threads, and the overflow of full
//! local queues, go to the shared [`Inject`] queue. An idle worker steals
//! half of a busy worker's queue. The slot, unlike tokio's, can be stolen
//! too: a worker stuck in one long poll never hides the task it just woke
//! (see [`worker`] for when a thief takes it).
//!
//! A task that blocks its worker is noticed by the [`monitor`], which runs
//! a spare worker thread in its place ([`spares`]).
//!
//! This file holds what the workers share ([`Shared`]) and how a woken task
//! finds its queue ([`schedule`]); [`worker`] holds the run loop.

mod idle;
pub(crate) mod lifo;
pub(crate) mod monitor;
pub(crate) mod queue;
pub(crate) mod sched;
pub(crate) mod spares;
pub(crate) mod worker;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_task::ScheduleInfo;
use crossbeam_utils::CachePadded;

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::inject::{drain_until_quiet, Inject};
use super::park::Parker;
use crate::task::{OwnedTasks, Runnable, Scheduler, TaskId};
use idle::Idle;
use queue::Steal;

use lifo::LifoSlot;
use monitor::{Monitor, MonitorConfig};
use spares::Spares;

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

/// What other threads can reach of one worker.
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
    /// starts), for the monitor's look at its scheduling ([`sched`]).
    pub(crate) tid: AtomicI32,
}

/// Everything the workers of one runtime share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// One per worker slot (the configured workers, then the spares), each
    /// on cache lines of its own: a worker writes its poll word on every
    /// poll, which must not slow down its neighbour.
    pub(crate) remotes: Box<[CachePadded<Remote>]>,
    /// The configured number of workers: at most this many run tasks.
    pub(crate) workers: usize,
    pub(crate) spares: Spares,
    monitor: Mutex<Option<JoinHandle<()>>>,
    pub(crate) inject: Inject<Runnable>,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(crate) driver: Driver,
    pub(crate) blocking: BlockingPool,
    pub(crate) shutdown: AtomicBool,
    /// This runtime's number in trace lanes.
    pub(crate) trace_id: u64,
}

impl Shared {
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

    fn unpark_all(&self) {
        for remote in self.remotes.iter() {
            remote.parker.unpark(&self.driver);
        }
    }

    /// Stops the workers and drops every task. Called once, by the runtime.
    /// Stops the workers, spares and monitor and joins their threads —
    /// until `deadline`, if given: a thread still inside a task's poll then
    /// is left to exit when that poll returns. Returns whether all exited.
    pub(crate) fn shutdown(&self, workers: Vec<JoinHandle<()>>, deadline: Option<Instant>) -> bool {
        self.owned.close();
        self.shutdown.store(true, Ordering::Release);
        self.unpark_all();
        let mut threads = workers;
        threads.extend(self.spares.close());
        threads.extend(
            self.monitor
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
        let this_thread = std::thread::current().id();
        let mut all_exited = true;
        for worker in threads {
            // Dropping the runtime inside one of its own tasks: that worker
            // is us, mid-poll. It stops, and drops its queue, when the poll
            // returns; joining it would wait for ourselves.
            if worker.thread().id() == this_thread {
                continue;
            }
            if let Some(deadline) = deadline {
                while !worker.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if !worker.is_finished() {
                    // Stuck in a poll: it holds its own reference to
                    // everything it touches, and exits once the poll returns.
                    all_exited = false;
                    continue;
                }
            }
            // A worker thread that panicked outside a task has nothing left
            // to hand back; its queue was drained by its exit guard.
            let _ = worker.join();
        }
        if !all_exited {
            // A thread left behind may hold queued tasks (its own queue or
            // fast-path slot) that its exit would have dropped: drop them
            // now, so their tickets resolve instead of waiting for it.
            self.drop_queued_tasks();
        }
        drain_until_quiet(&self.owned, &self.inject);
        self.driver.shutdown();
        all_exited
    }

    /// Takes every worker's queued tasks and drops them (their tickets
    /// resolve to `Shutdown`), as the monitor takes a blocked worker's.
    fn drop_queued_tasks(&self) {
        let (mut scratch, _steal) = queue::local();
        for remote in self.remotes.iter() {
            drop(remote.lifo.take());
            while let Some(task) = remote.steal.steal_into(&mut scratch) {
                drop(task);
                while let Some(task) = scratch.pop() {
                    drop(task);
                }
            }
        }
    }
}

impl Scheduler for Shared {
    fn registry(&self) -> Option<&OwnedTasks> {
        Some(&self.owned)
    }

    fn schedule_remote(&self, task: Runnable) {
        match self.inject.push(task) {
            Ok(()) => self.notify_parked(),
            // Shut down: dropping the task resolves its ticket to Shutdown.
            Err(task) => drop(task),
        }
    }
}

/// The schedule function of every task of a multi-thread runtime: a wake on
/// one of the runtime's own workers goes to that worker's slot or queue; any
/// other goes through the injector.
pub(crate) fn schedule(task: Runnable, info: ScheduleInfo) {
    let task = match worker::schedule_local(task, info.woken_while_running) {
        Ok(()) => return,
        Err(task) => task,
    };
    let scheduler = task.metadata().scheduler.clone();
    scheduler.schedule_remote(task);
}

/// Builds the shared state, starts `workers` worker threads and, if
/// configured, the monitor.
pub(crate) fn start(
    workers: usize,
    thread_name: &str,
    blocking: BlockingPool,
    monitor: Option<MonitorConfig>,
) -> io::Result<(Arc<Shared>, Vec<JoinHandle<()>>)> {
    let spare_slots = monitor.as_ref().map_or(0, |monitor| monitor.max_spares);
    let keep_alive = monitor
        .as_ref()
        .map_or(std::time::Duration::ZERO, |monitor| monitor.keep_alive);
    let slots = workers + spare_slots;
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
        }));
    }
    let spare_locals = locals.split_off(workers);
    let shared = Arc::new(Shared {
        remotes: remotes.into_boxed_slice(),
        workers,
        spares: Spares::new(workers, spare_locals, keep_alive, thread_name),
        monitor: Mutex::new(None),
        inject: Inject::new(),
        idle: Idle::new(workers, slots),
        owned: OwnedTasks::new(workers),
        driver: Driver::new()?,
        blocking,
        shutdown: AtomicBool::new(false),
        trace_id: super::next_trace_id(),
    });
    let mut threads = Vec::with_capacity(workers);
    for (index, local) in locals.into_iter().enumerate() {
        let worker = worker::Worker::new(index, shared.clone(), local);
        let handle = super::Handle::new(super::handle::Kind::MultiThread(shared.clone()));
        let started = std::thread::Builder::new()
            .name(format!("{thread_name}-{index}"))
            .spawn(move || worker.run(handle));
        match started {
            Ok(thread) => threads.push(thread),
            Err(error) => {
                shared.shutdown(threads, None);
                return Err(error);
            }
        }
    }
    if let Some(config) = monitor {
        let monitor = Monitor::new(shared.clone(), &config);
        let started = std::thread::Builder::new()
            .name(format!("{thread_name}-monitor"))
            .spawn(move || monitor.run());
        match started {
            Ok(thread) => *shared.monitor.lock().unwrap_or_else(|p| p.into_inner()) = Some(thread),
            Err(error) => {
                shared.shutdown(threads, None);
                return Err(error);
            }
        }
    }
    Ok((shared, threads))
}
