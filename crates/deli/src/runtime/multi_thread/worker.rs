//! One worker of the multi-thread scheduler: its run loop, its local
//! queue, stealing, and parking.
//!
//! The loop: take the next task (now and then from the injector first, so
//! it is not starved; otherwise the fast-path slot, then the local queue,
//! then a batch from the injector), else search (steal half a victim's
//! queue; take a stuck worker's slot), else park. Every so often a busy
//! worker polls the driver without blocking, so I/O and timers are served
//! even when nobody is idle.
//!
//! A stuck worker cannot hide work: its queue is stolen like any other, and
//! its fast-path slot is taken by a thief that has seen the slot occupied,
//! and the worker's poll count unchanged, for at least [`STUCK_POLL`]: the
//! worker is inside one long poll. A worker that is merely busy keeps its
//! slot, so an ordinary hand-off stays on one core, hot in cache. For that, the idle worker holding the driver keeps watch while any
//! worker is busy: it sleeps at most [`SLOT_WATCH`], and [`STUCK_POLL`]
//! after seeing an occupied slot. When every worker is idle it sleeps until
//! notified.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Shared;
use crate::runtime::context;
use crate::runtime::queue::{Local, LOCAL_QUEUE_CAPACITY};
use crate::runtime::Handle;
use crate::task::Runnable;

/// Ticks between non-blocking polls of the driver by a busy worker.
const EVENT_INTERVAL: u32 = 61;
/// Ticks between looks at the injector ahead of the local queue.
const GLOBAL_QUEUE_INTERVAL: u32 = 31;
/// Fast-path polls in a row before the next woken task goes to the back of
/// the queue (so a ping-ponging pair cannot starve the rest).
const MAX_LIFO_POLLS: u32 = 3;
/// How long a worker must have been inside one poll, with a task waiting
/// in its fast-path slot, before a thief takes that task.
const STUCK_POLL: Duration = Duration::from_millis(1);
/// How often an idle worker looks at the busy ones' slots. Only while some
/// worker is busy: a runtime with nothing to do sleeps without a time-out.
const SLOT_WATCH: Duration = Duration::from_millis(10);

thread_local! {
    static CURRENT_WORKER: Cell<*const Worker> = const { Cell::new(ptr::null()) };
}

pub(crate) struct Worker {
    index: usize,
    shared: Arc<Shared>,
    local: RefCell<Local<Runnable>>,
    tick: Cell<u32>,
    is_searching: Cell<bool>,
    rng: Cell<u64>,
    /// Per victim: its poll count when we first saw its slot occupied in
    /// that poll, and when.
    slot_seen: RefCell<Vec<(u64, Instant)>>,
    /// The last search passed over an occupied slot.
    slot_pending: Cell<bool>,
}

impl Worker {
    pub(crate) fn new(index: usize, shared: Arc<Shared>, local: Local<Runnable>) -> Worker {
        let workers = shared.remotes.len();
        Worker {
            index,
            shared,
            local: RefCell::new(local),
            tick: Cell::new(0),
            is_searching: Cell::new(false),
            rng: Cell::new(
                0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407),
            ),
            slot_seen: RefCell::new(vec![(u64::MAX, Instant::now()); workers]),
            slot_pending: Cell::new(false),
        }
    }

    /// The worker thread's body.
    pub(crate) fn run(self, handle: Handle) {
        let _context = context::enter(&handle);
        drop(handle);
        CURRENT_WORKER.with(|current| current.set(&self));
        let _exit = ExitGuard(&self);
        while !self.shared.is_shutdown() {
            let tick = self.tick.get().wrapping_add(1);
            self.tick.set(tick);
            if tick % EVENT_INTERVAL == 0 {
                self.maintenance();
            }
            if let Some(task) = self.next_task(tick) {
                self.run_task(task);
            } else if let Some(task) = self.search() {
                self.run_task(task);
            } else {
                self.park();
            }
        }
    }

    fn remote(&self) -> &super::Remote {
        &self.shared.remotes[self.index]
    }

    fn maintenance(&self) {
        if let Some(mut driver) = self.shared.driver.try_lock() {
            driver.park(Some(Duration::ZERO));
        }
    }

    fn next_task(&self, tick: u32) -> Option<Runnable> {
        if tick % GLOBAL_QUEUE_INTERVAL == 0 {
            if let Some(task) = self.shared.inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = self.remote().lifo.take() {
            return Some(task);
        }
        let mut local = self.local.borrow_mut();
        if let Some(task) = local.pop() {
            return Some(task);
        }
        // Refill from the injector: a fair share, in one lock.
        let workers = self.shared.remotes.len();
        let share = self.shared.inject.len() / workers + 1;
        let mut batch = self
            .shared
            .inject
            .pop_batch(share.min(LOCAL_QUEUE_CAPACITY / 2))
            .into_iter();
        let first = batch.next();
        for task in batch {
            local.push_back(task, &self.shared.inject);
        }
        first
    }

    fn search(&self) -> Option<Runnable> {
        if !self.is_searching.get() {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching.set(true);
        }
        let remotes = &self.shared.remotes;
        let workers = remotes.len();
        let start = self.next_random() as usize % workers;
        {
            let mut local = self.local.borrow_mut();
            for offset in 0..workers {
                let victim = (start + offset) % workers;
                if victim == self.index {
                    continue;
                }
                if let Some(task) = remotes[victim].steal.steal_into(&mut local) {
                    return Some(task);
                }
            }
        }
        if let Some(task) = self.steal_from_stuck_slot() {
            return Some(task);
        }
        self.shared.inject.pop()
    }

    /// Takes a victim's fast-path slot if the victim has been inside the
    /// same poll, with the slot occupied, for at least [`STUCK_POLL`].
    fn steal_from_stuck_slot(&self) -> Option<Runnable> {
        let mut seen = self.slot_seen.borrow_mut();
        let mut pending = false;
        for (victim, remote) in self.shared.remotes.iter().enumerate() {
            if victim == self.index || !remote.lifo.is_occupied() {
                continue;
            }
            let polls = remote.polls.load(Ordering::Acquire);
            let now = Instant::now();
            let (seen_polls, seen_at) = seen[victim];
            if seen_polls != polls {
                seen[victim] = (polls, now);
                pending = true;
            } else if now.duration_since(seen_at) < STUCK_POLL {
                pending = true;
            } else if let Some(task) = remote.lifo.take() {
                seen[victim] = (u64::MAX, now);
                return Some(task);
            }
        }
        self.slot_pending.set(pending);
        None
    }

    fn run_task(&self, mut task: Runnable) {
        if self.is_searching.replace(false) && self.shared.idle.transition_worker_from_searching() {
            // We were the last searcher and found work: there may be more.
            self.shared.notify_parked();
        }
        let remote = self.remote();
        let mut lifo_polls = 0;
        loop {
            let polls = remote.polls.load(Ordering::Relaxed);
            remote.polls.store(polls.wrapping_add(1), Ordering::Release);
            task.run();
            let Some(next) = remote.lifo.take() else {
                return;
            };
            if lifo_polls >= MAX_LIFO_POLLS {
                self.local.borrow_mut().push_back(next, &self.shared.inject);
                self.shared.notify_parked();
                return;
            }
            lifo_polls += 1;
            task = next;
        }
    }

    fn park(&self) {
        let shared = &self.shared;
        let was_searching = self.is_searching.replace(false);
        let slot_pending = self.slot_pending.replace(false);
        if shared
            .idle
            .transition_worker_to_parked(self.index, was_searching)
            && shared.has_work_anywhere()
        {
            shared.notify_parked();
        }
        let watch = if slot_pending {
            Some(STUCK_POLL)
        } else if shared.idle.num_unparked() > 0 {
            Some(SLOT_WATCH)
        } else {
            None
        };
        loop {
            self.remote().parker.park(&shared.driver, watch);
            if shared.is_shutdown() {
                return;
            }
            let has_local_work =
                !self.local.borrow().is_empty() || self.remote().lifo.is_occupied();
            if has_local_work || watch.is_some() {
                // Woken by our own driver turn (tasks it woke are ours), or
                // keeping watch: get up and look around.
                if !shared.idle.unpark_worker_by_id(self.index) {
                    self.is_searching.set(true);
                }
                if has_local_work && self.local.borrow().len() > 1 {
                    shared.notify_parked();
                }
                return;
            }
            if !shared.idle.is_parked(self.index) {
                // Someone woke us for new work: they counted us searching.
                self.is_searching.set(true);
                return;
            }
        }
    }

    fn next_random(&self) -> u64 {
        // xorshift64*: victim choice only needs to be cheap and spread out.
        let mut x = self.rng.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// On the way out (shutdown, or a panic outside any task), the worker
/// stops taking local wakes and drops what its queue and slot still hold.
struct ExitGuard<'a>(&'a Worker);

impl Drop for ExitGuard<'_> {
    fn drop(&mut self) {
        CURRENT_WORKER.with(|current| current.set(ptr::null()));
        let worker = self.0;
        drop(worker.remote().lifo.take());
        loop {
            let task = worker.local.borrow_mut().pop();
            match task {
                Some(task) => drop(task),
                None => break,
            }
        }
    }
}

/// Queues `task` on this thread's worker if this thread is a worker of the
/// task's runtime; hands it back otherwise.
pub(crate) fn schedule_local(task: Runnable, yielded: bool) -> Result<(), Runnable> {
    CURRENT_WORKER.with(|current| {
        let worker = current.get();
        if worker.is_null() {
            return Err(task);
        }
        // SAFETY: the pointer is set by `Worker::run` for the duration of
        // the run loop on this thread and cleared (by `ExitGuard`) before
        // the worker is dropped, so it is valid here.
        let worker = unsafe { &*worker };
        let task_runtime = Arc::as_ptr(&task.metadata().scheduler) as *const ();
        let shared = &worker.shared;
        // Once shut down, wakes go to the injector, where shutdown drops
        // them; queued here (say, by a task that drops the runtime inside
        // itself) they would be run again instead.
        if task_runtime != Arc::as_ptr(shared) as *const () || shared.is_shutdown() {
            return Err(task);
        }
        let displaced = if yielded {
            Some(task)
        } else {
            worker.remote().lifo.replace(task)
        };
        if let Some(task) = displaced {
            worker.local.borrow_mut().push_back(task, &shared.inject);
            shared.notify_parked();
        }
        Ok(())
    })
}
