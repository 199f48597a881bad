//! One pool thread: where it looks for work, how it runs it, how it waits.
//!
//! Order of search: its own deque (newest first, the `join` halves it just
//! pushed), then the other threads' deques (stealing their oldest, the
//! biggest pieces of a divide and conquer), then the shared queue of
//! submitted jobs. A thread that finds nothing spins briefly, yielding,
//! then sleeps (see `sleep`). A thread waiting for a stolen `join` half
//! runs the same search meanwhile, so nested joins never block a thread
//! that could work. Calls this folder, and `trace` to name its lane.

use std::cell::Cell;
use std::ptr;
use std::sync::Arc;

use crossbeam_deque::{Steal, Worker};

use super::job::{JobRef, SpinLatch, Work};
use super::shared::Shared;
use crate::trace::{self, Lane};

/// Rounds of fruitless search (each ends in a `yield_now`) before a thread
/// sleeps; short enough to cost little CPU, long enough that the next
/// `join` half or job rarely pays for a wake-up.
const SPIN_ROUNDS: u32 = 32;

/// A worker's empty rounds before it sleeps: it yields its core for
/// [`SPIN_ROUNDS`] rounds (new work often comes within them), then sleeps
/// once and starts counting again.
#[derive(Default)]
struct Backoff {
    rounds: u32,
}

impl Backoff {
    /// Yields for one more empty round and says so; `false` once the
    /// rounds are spent: time to sleep.
    fn spin(&mut self) -> bool {
        if self.rounds < SPIN_ROUNDS {
            self.rounds += 1;
            std::thread::yield_now();
            true
        } else {
            self.rounds = 0;
            false
        }
    }
}

thread_local! {
    static CURRENT: Cell<*const WorkerThread> = const { Cell::new(ptr::null()) };
}

/// A pool thread's own state, on its stack for its whole life.
pub(super) struct WorkerThread {
    pub(super) index: usize,
    local: Worker<JobRef>,
    pub(super) shared: Arc<Shared>,
    rng: Cell<u64>,
}

impl WorkerThread {
    /// The pool thread running on this thread, if it is one.
    pub(super) fn current<'a>() -> Option<&'a WorkerThread> {
        let current = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
        // SAFETY: `CURRENT` is set by `run` to a `WorkerThread` on that
        // thread's stack for as long as `run` executes, and cleared before
        // it returns; everything that reads it runs inside `run`.
        unsafe { current.as_ref() }
    }

    /// The body of pool thread `index`.
    pub(super) fn run(index: usize, local: Worker<JobRef>, shared: Arc<Shared>) {
        shared.sleep.register_current(index);
        let _lane = trace::enter_lane(trace::intern(Lane::PoolThread {
            pool: shared.trace_id,
            index,
        }));
        let worker = WorkerThread {
            index,
            local,
            shared,
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1)),
        };
        struct Clear;
        impl Drop for Clear {
            fn drop(&mut self) {
                let _ = CURRENT.try_with(|current| current.set(ptr::null()));
            }
        }
        let _clear = Clear;
        let _ = CURRENT.try_with(|current| current.set(&worker));
        worker.main_loop();
    }

    fn main_loop(&self) {
        let mut idle = Backoff::default();
        loop {
            if let Some(work) = self.find_work() {
                idle = Backoff::default();
                self.execute(work);
                continue;
            }
            if self.shared.is_closed() && self.shared.is_finished() {
                return;
            }
            if idle.spin() {
                continue;
            }
            let shared = &self.shared;
            shared.sleep.sleep(
                self.index,
                || shared.has_work() || shared.is_closed(),
                || true,
            );
        }
    }

    /// Pushes a `join` half where this thread and thieves find it.
    pub(super) fn push(&self, job: JobRef) {
        self.local.push(job);
        self.shared.sleep.notify_one();
    }

    /// Takes back the newest `join` half of this thread, if not stolen.
    pub(super) fn pop_local(&self) -> Option<JobRef> {
        self.local.pop()
    }

    fn find_work(&self) -> Option<Work> {
        if let Some(job) = self.local.pop() {
            return Some(Work::Stack(job));
        }
        if let Some(job) = self.steal() {
            return Some(Work::Stack(job));
        }
        self.shared.pop()
    }

    fn steal(&self) -> Option<JobRef> {
        let stealers = &self.shared.stealers;
        let count = stealers.len();
        if count <= 1 {
            return None;
        }
        let start = self.next_random() as usize % count;
        loop {
            let mut retry = false;
            for offset in 0..count {
                let victim = (start + offset) % count;
                if victim == self.index {
                    continue;
                }
                match stealers[victim].steal() {
                    Steal::Success(job) => return Some(job),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    fn next_random(&self) -> u64 {
        // xorshift64: only spreads thieves over victims.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x
    }

    pub(super) fn execute(&self, work: Work) {
        match work {
            // The harness catches the closure's panic and records it in the
            // ticket; a panicking job never takes its thread down.
            Work::Task(task) => {
                // The harness already turns a panic into the job's error;
                // this only keeps anything it missed from killing the thread.
                if let Err(payload) =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.run()))
                {
                    std::mem::forget(payload);
                }
            }
            // SAFETY: every job reference in the queues points to a stack
            // job whose owner waits for its latch, and a reference is taken
            // from a queue (and so executed) once.
            Work::Stack(job) => unsafe { job.execute() },
        }
    }

    /// Runs other work until `latch` is set, sleeping when there is none.
    pub(super) fn wait_until(&self, latch: &SpinLatch) {
        let shared = &self.shared;
        let mut idle = Backoff::default();
        let mut slept = false;
        while !latch.core.probe() {
            // Only `join` halves: a submitted job run on top of this frame
            // could wait for the very job this frame belongs to, which can
            // only resume once that job returns — a deadlock. Submitted jobs
            // wait for a thread that is free.
            if let Some(job) = self.local.pop().or_else(|| self.steal()) {
                idle = Backoff::default();
                self.execute(Work::Stack(job));
                continue;
            }
            if idle.spin() {
                continue;
            }
            slept = true;
            shared.sleep.sleep(
                self.index,
                || shared.has_join_work(),
                || latch.core.get_sleepy(),
            );
            latch.core.wake_up();
        }
        // A wake-up meant for new work may have landed on us just as our
        // latch was set; we go back to our job, so pass it on.
        if slept && shared.has_work() {
            shared.sleep.notify_one();
        }
    }
}
