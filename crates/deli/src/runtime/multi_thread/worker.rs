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
//! slot, so an ordinary hand-off stays on one core, hot in cache. To find
//! stuck slots, the idle worker holding the driver keeps watch while any
//! worker is busy: it sleeps at most [`SLOT_WATCH`], and [`STUCK_POLL`]
//! after seeing an occupied slot. When every worker is idle it sleeps until
//! notified.
//!
//! A worker the monitor has marked blocked (see [`super::monitor`]) leaves
//! the loop as soon as its long poll returns: it hands what it still holds
//! to the injector and waits among the spares ([`super::spares`]) until it
//! is needed again or its keep-alive passes.
//!
//! [`launch`] starts every worker thread, at start-up and for the monitor's
//! spares. This file may use `shared`, `queue` and `spares`.

use std::cell::{Cell, RefCell};
use std::io;
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::queue::{Local, LOCAL_QUEUE_CAPACITY};
use super::shared::{poll_word, QueueAccess, Remote, Shared};
use super::spares::SpareWake;
use crate::poison::IgnorePoison;
use crate::task::Runnable;
use crate::trace::{self, Lane};

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

/// How a worker thread starts on its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Running tasks at once: the runtime's configured workers.
    Active,
    /// Waiting among the spares until the monitor activates it.
    Spare,
}

/// Starts the thread of worker slot `index`, with the slot's queue. If the
/// OS refuses the thread, the queue comes back with the error.
pub(crate) fn launch(
    shared: &Arc<Shared>,
    index: usize,
    local: Local<Runnable>,
    start: Start,
) -> Result<JoinHandle<()>, (io::Error, Local<Runnable>)> {
    // The queue travels to the thread through a slot it can be taken back
    // from if the thread never starts.
    let handoff = Arc::new(Mutex::new(Some(local)));
    let theirs = Arc::clone(&handoff);
    let thread_shared = Arc::clone(shared);
    let started = std::thread::Builder::new()
        .name(shared.thread_name(index))
        .spawn(move || {
            let local = theirs.lock().ignore_poison().take();
            if let Some(local) = local {
                Worker::new(index, thread_shared, local).run_thread(start);
            }
        });
    match started {
        Ok(thread) => Ok(thread),
        Err(error) => {
            // A thread that failed to start never ran the closure, so the
            // queue is still in the hand-off.
            match handoff.lock().ignore_poison().take() {
                Some(local) => Err((error, local)),
                None => unreachable!("a thread that never started took its queue"),
            }
        }
    }
}

struct Worker {
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
    /// Polls made, for the poll word.
    poll_seq: Cell<u64>,
}

/// Why a worker's run loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Shutdown,
    KeepAlivePassed,
}

impl Worker {
    fn new(index: usize, shared: Arc<Shared>, local: Local<Runnable>) -> Worker {
        let slots = shared.slots();
        Worker {
            index,
            shared,
            local: RefCell::new(local),
            tick: Cell::new(0),
            is_searching: Cell::new(false),
            rng: Cell::new(
                0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407),
            ),
            slot_seen: RefCell::new(vec![(u64::MAX, Instant::now()); slots]),
            slot_pending: Cell::new(false),
            poll_seq: Cell::new(0),
        }
    }

    /// The body of a worker thread.
    fn run_thread(self, start: Start) {
        let _context = self.shared.enter_thread();
        let _lane = trace::enter_lane(trace::intern(Lane::Worker {
            runtime: self.shared.trace_id(),
            index: self.index,
        }));
        CURRENT_WORKER.with(|current| current.set(&self));
        self.remote()
            .tid
            .store(super::sched::current_tid(), Ordering::Relaxed);
        let exit = {
            let _exit = ExitGuard(&self);
            self.run_slot(start == Start::Spare)
        };
        if exit == Exit::KeepAlivePassed {
            let index = self.index;
            let shared = self.shared.clone();
            shared.spares().vacate(index, self.local.into_inner());
        }
    }

    fn run_slot(&self, mut spare: bool) -> Exit {
        loop {
            if spare {
                match self.shared.spares().wait_as_spare(self.index) {
                    SpareWake::Activated => {}
                    SpareWake::KeepAlivePassed => return Exit::KeepAlivePassed,
                    SpareWake::Shutdown => return Exit::Shutdown,
                }
            }
            self.run_loop();
            if self.shared.is_shutdown() {
                return Exit::Shutdown;
            }
            self.retire();
            spare = true;
        }
    }

    /// Runs tasks until shutdown or until the monitor has put a spare in
    /// this worker's place.
    fn run_loop(&self) {
        let remote = self.remote();
        // The last iteration ran a task and nothing slow has happened since
        // (the trace may then skip a clock read: see `run_task`).
        let mut straight_on = false;
        while !self.shared.is_shutdown() && !remote.retire.load(Ordering::Relaxed) {
            let tick = self.tick.get().wrapping_add(1);
            self.tick.set(tick);
            if tick % EVENT_INTERVAL == 0 {
                self.maintenance();
                straight_on = false;
            }
            if let Some((task, own)) = self.next_task(tick) {
                self.run_task(task, straight_on && own);
                straight_on = true;
            } else if let Some(task) = self.search() {
                self.run_task(task, false);
                straight_on = true;
            } else {
                self.park();
                straight_on = false;
            }
        }
    }

    /// Leaves the running set after a blocked poll: what this worker still
    /// holds goes to the injector, for the workers that replaced it.
    fn retire(&self) {
        let shared = &self.shared;
        let handed_over = shared.drain_slot(self.index, QueueAccess::Owner(&self.local), |task| {
            shared.push_or_drop(task);
        });
        self.slot_pending.set(false);
        let was_searching = self.is_searching.replace(false);
        if shared.idle().retire_blocked(self.index, was_searching) || handed_over {
            shared.notify_parked();
        }
    }

    fn remote(&self) -> &Remote {
        self.shared.remote(self.index)
    }

    fn maintenance(&self) {
        crate::task::clock::refresh();
        if let Some(mut driver) = self.shared.driver().try_lock() {
            driver.park(Some(Duration::ZERO));
        }
    }

    /// The next task, and whether it came from this worker's own slot or
    /// queue, where only tasks queued by this thread (or stolen by it
    /// before its last poll) wait.
    fn next_task(&self, tick: u32) -> Option<(Runnable, bool)> {
        if tick % GLOBAL_QUEUE_INTERVAL == 0 {
            if let Some(task) = self.shared.inject().pop() {
                return Some((task, false));
            }
        }
        if let Some(task) = self.remote().lifo.take() {
            return Some((task, true));
        }
        let mut local = self.local.borrow_mut();
        if let Some(task) = local.pop() {
            return Some((task, true));
        }
        // Refill from the injector: a fair share, in one lock.
        let inject = self.shared.inject();
        let share = inject.len() / self.shared.workers() + 1;
        let mut batch = inject
            .pop_batch(share.min(LOCAL_QUEUE_CAPACITY / 2))
            .into_iter();
        let first = batch.next();
        for task in batch {
            local.push_back(task, inject);
        }
        first.map(|task| (task, false))
    }

    fn search(&self) -> Option<Runnable> {
        if !self.is_searching.get() {
            if !self.shared.idle().transition_worker_to_searching() {
                return None;
            }
            self.is_searching.set(true);
        }
        let shared = &self.shared;
        let workers = shared.spares().in_use();
        let start = self.next_random() as usize % workers;
        {
            let mut local = self.local.borrow_mut();
            for offset in 0..workers {
                let victim = (start + offset) % workers;
                if victim == self.index {
                    continue;
                }
                if let Some(task) = shared.remote(victim).steal.steal_into(&mut local) {
                    self.remote().counters.steal();
                    return Some(task);
                }
            }
        }
        if let Some(task) = self.steal_from_stuck_slot() {
            self.remote().counters.steal();
            return Some(task);
        }
        shared.inject().pop()
    }

    /// Takes a victim's fast-path slot if the victim has been inside the
    /// same poll, with the slot occupied, for at least [`STUCK_POLL`].
    fn steal_from_stuck_slot(&self) -> Option<Runnable> {
        let mut seen = self.slot_seen.borrow_mut();
        let mut pending = false;
        let in_use = self.shared.spares().in_use();
        for victim in 0..in_use {
            let remote = self.shared.remote(victim);
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

    /// Runs `task`, then what it woke into the fast-path slot. With
    /// `follows`, the task was queued by this thread and taken straight
    /// after its previous poll: the trace stamps its start with the time of
    /// that poll's end instead of reading the clock (so do the slot's
    /// tasks, woken by the poll just run).
    fn run_task(&self, mut task: Runnable, mut follows: bool) {
        if self.is_searching.replace(false) && self.shared.idle().transition_worker_from_searching()
        {
            // We were the last searcher and found work: there may be more.
            self.shared.notify_parked();
        }
        let remote = self.remote();
        let mut lifo_polls = 0;
        loop {
            let seq = self.poll_seq.get().wrapping_add(1);
            self.poll_seq.set(seq);
            remote
                .polls
                .store(poll_word(task.metadata().id, seq), Ordering::Release);
            trace::next_poll_follows(follows);
            remote.counters.poll();
            task.run();
            follows = true;
            let Some(next) = remote.lifo.take() else {
                return;
            };
            // Replaced by a spare during that poll: no more polls here.
            if lifo_polls >= MAX_LIFO_POLLS || remote.retire.load(Ordering::Relaxed) {
                self.local
                    .borrow_mut()
                    .push_back(next, self.shared.inject());
                self.shared.notify_parked();
                return;
            }
            lifo_polls += 1;
            task = next;
        }
    }

    fn park(&self) {
        trace::time_passes();
        let shared = &self.shared;
        let was_searching = self.is_searching.replace(false);
        let slot_pending = self.slot_pending.replace(false);
        let Some(was_last_searcher) = shared
            .idle()
            .transition_worker_to_parked(self.index, was_searching)
        else {
            // Marked blocked (by a monitor that caught us between polls):
            // the run loop sees `retire` and retires us instead.
            self.is_searching.set(was_searching);
            return;
        };
        if was_last_searcher && shared.has_work_anywhere() {
            shared.notify_parked();
        }
        let watch = if slot_pending {
            Some(STUCK_POLL)
        } else if shared.idle().num_unparked() > 0 {
            Some(SLOT_WATCH)
        } else {
            None
        };
        self.remote().counters.park();
        loop {
            self.remote().parker.park(shared.driver(), watch);
            crate::task::clock::refresh();
            if shared.is_shutdown() {
                return;
            }
            let has_local_work =
                !self.local.borrow().is_empty() || self.remote().lifo.is_occupied();
            if has_local_work || watch.is_some() {
                // Woken by our own driver turn (tasks it woke are ours), or
                // keeping watch: get up and look around.
                if !shared.idle().unpark_worker_by_id(self.index) {
                    self.is_searching.set(true);
                }
                if has_local_work && self.local.borrow().len() > 1 {
                    shared.notify_parked();
                }
                return;
            }
            if !shared.idle().is_parked(self.index) {
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
        worker
            .shared
            .drain_slot(worker.index, QueueAccess::Owner(&worker.local), drop);
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
            // A task that never ran (just spawned) may be the start of
            // parallel work: a parked sibling is woken for it. One woken
            // again is most often a message-passing partner this worker
            // reaches within microseconds: waking a sibling for a lone one
            // moved producer/consumer pairs across cores and set both
            // workers fighting over the channel (`deli-bench -- sync`,
            // mpsc-mt: 1.12–1.29× tokio's time when every displaced task
            // woke a sibling, 1.00–1.10× with this rule). Two queued are
            // worth a sibling; a stuck worker's queue is stolen by the idle
            // workers' watch and the monitor anyway.
            let fresh = !task.metadata().state.has_run();
            let mut local = worker.local.borrow_mut();
            local.push_back(task, shared.inject());
            let queued = local.len();
            drop(local);
            if fresh || queued >= 2 {
                shared.notify_parked();
            }
        }
        Ok(())
    })
}
