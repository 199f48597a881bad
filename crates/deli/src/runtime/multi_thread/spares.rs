//! The table of worker slots: which slot's thread runs tasks, which waits
//! as a spare, which has none.
//!
//! A multi-thread runtime with the monitor on has `workers + max_spares`
//! worker slots, each with its own queue, fast-path slot and parker (the
//! [`Remote`](super::shared::Remote)s). A thread stays with its slot for
//! life; what changes is the slot's [`SlotState`]. At most `workers` slots
//! are [`Active`](SlotState::Active) — running tasks — at any time: the
//! monitor activates a spare slot only in place of a worker it marks
//! [`Blocked`](SlotState::Blocked) at the same moment, and that worker's
//! thread, when its long poll returns, becomes a
//! [`Spare`](SlotState::Spare) and waits here to be needed again. A spare
//! idle past the keep-alive exits and leaves its queue here for the next
//! thread started on the slot.
//!
//! Plain data under one lock, on the slow path only (an episode, a
//! retirement). It starts no threads (the monitor does, through the worker
//! launcher) and calls nothing else of the scheduler.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::queue::Local;
use crate::poison::IgnorePoison;
use crate::task::Runnable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// Its thread runs tasks (or looks for some, or sleeps as a worker).
    Active,
    /// Its thread is stuck in one poll; a spare runs in its place.
    Blocked,
    /// Its thread waits here to be activated.
    Spare,
    /// Its thread is on its way out (keep-alive passed), or being started.
    Exiting,
    /// No thread; the queue waits here.
    Vacant,
}

/// How a spare's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpareWake {
    Activated,
    KeepAlivePassed,
    Shutdown,
}

#[derive(Debug)]
struct Table {
    states: Vec<SlotState>,
    /// The queues of vacant slots.
    locals: Vec<Option<Local<Runnable>>>,
    /// Threads started on spare slots, for shutdown to join.
    threads: Vec<JoinHandle<()>>,
    closed: bool,
}

#[derive(Debug)]
pub(crate) struct Spares {
    table: Mutex<Table>,
    /// Spares wait on it to be activated (or shut down).
    spare_wakeup: Condvar,
    keep_alive: Duration,
    /// Slots `0..in_use` have ever had a thread: the ones worth looking at
    /// when stealing. It only grows, and it is read on every steal, so it
    /// sits on cache lines of its own, away from the busy fields.
    in_use: CachePadded<AtomicUsize>,
}

impl Spares {
    /// Slots `0..workers` start active (their threads are started by the
    /// caller); the others are vacant, holding `spare_locals`.
    pub(crate) fn new(
        workers: usize,
        spare_locals: Vec<Local<Runnable>>,
        keep_alive: Duration,
    ) -> Spares {
        let slots = workers + spare_locals.len();
        let mut states = vec![SlotState::Active; workers];
        states.resize(slots, SlotState::Vacant);
        let mut locals: Vec<Option<Local<Runnable>>> = (0..workers).map(|_| None).collect();
        locals.extend(spare_locals.into_iter().map(Some));
        Spares {
            table: Mutex::new(Table {
                states,
                locals,
                threads: Vec::new(),
                closed: false,
            }),
            spare_wakeup: Condvar::new(),
            keep_alive,
            in_use: CachePadded::new(AtomicUsize::new(workers)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().ignore_poison()
    }

    /// How many slots have ever had a thread (a prefix of the slots).
    pub(crate) fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Acquire)
    }

    /// Copies every slot's state into `states`.
    pub(crate) fn snapshot(&self, states: &mut Vec<SlotState>) {
        states.clear();
        states.extend_from_slice(&self.lock().states);
    }

    /// When no spare thread waits, takes a vacant slot and its queue for a
    /// new spare thread, which the caller starts and then hands back with
    /// [`started`](Spares::started) (or the queue, if it could not start,
    /// with [`vacate`](Spares::vacate)). `None`: a spare waits already, no
    /// slot is vacant, or the runtime is shutting down.
    pub(crate) fn take_vacant_if_no_spare(&self) -> Option<(usize, Local<Runnable>)> {
        let mut table = self.lock();
        if table.closed || table.states.contains(&SlotState::Spare) {
            return None;
        }
        let vacant = table.states.iter().position(|&s| s == SlotState::Vacant)?;
        let local = table.locals[vacant].take()?;
        // Until its thread runs and waits as a spare, nobody may use it.
        table.states[vacant] = SlotState::Exiting;
        self.in_use.fetch_max(vacant + 1, Ordering::AcqRel);
        Some((vacant, local))
    }

    /// Keeps the thread started on slot `index` (taken with
    /// [`take_vacant_if_no_spare`](Spares::take_vacant_if_no_spare)) for
    /// shutdown to join.
    pub(crate) fn started(&self, index: usize, thread: JoinHandle<()>) {
        let mut table = self.lock();
        if table.states[index] == SlotState::Exiting {
            table.states[index] = SlotState::Spare;
        }
        // Spares that have exited need no joining.
        table.threads.retain(|thread| !thread.is_finished());
        table.threads.push(thread);
        drop(table);
        self.spare_wakeup.notify_all();
    }

    /// Puts `blocked` (an active worker found stuck) out of the running set
    /// and a waiting spare in its place, if `mark_blocked` agrees; then
    /// `ready_spare` readies the spare's slot before its thread can see it
    /// is active. Both run under the table's lock. Returns the spare's
    /// slot, or `None` if no spare waits, the worker turned out not to be
    /// stuck (it parked), or the runtime is shutting down.
    pub(crate) fn replace(
        &self,
        blocked: usize,
        mark_blocked: impl FnOnce() -> bool,
        ready_spare: impl FnOnce(usize),
    ) -> Option<usize> {
        let mut table = self.lock();
        if table.closed || table.states[blocked] != SlotState::Active {
            return None;
        }
        let spare = table.states.iter().position(|&s| s == SlotState::Spare)?;
        if !mark_blocked() {
            return None;
        }
        table.states[blocked] = SlotState::Blocked;
        ready_spare(spare);
        table.states[spare] = SlotState::Active;
        drop(table);
        self.spare_wakeup.notify_all();
        Some(spare)
    }

    /// A worker thread whose slot is blocked or spare waits here until it
    /// is activated, the keep-alive passes or the runtime shuts down.
    pub(crate) fn wait_as_spare(&self, index: usize) -> SpareWake {
        let mut table = self.lock();
        if table.states[index] == SlotState::Blocked {
            table.states[index] = SlotState::Spare;
        }
        let deadline = Instant::now() + self.keep_alive;
        loop {
            if table.closed {
                return SpareWake::Shutdown;
            }
            if table.states[index] == SlotState::Active {
                return SpareWake::Activated;
            }
            let now = Instant::now();
            if now >= deadline {
                table.states[index] = SlotState::Exiting;
                return SpareWake::KeepAlivePassed;
            }
            table = self
                .spare_wakeup
                .wait_timeout(table, deadline - now)
                .ignore_poison()
                .0;
        }
    }

    /// A slot without a thread (its spare exited, or one could not be
    /// started) keeps its queue for the slot's next thread.
    pub(crate) fn vacate(&self, index: usize, local: Local<Runnable>) {
        let mut table = self.lock();
        table.locals[index] = Some(local);
        table.states[index] = SlotState::Vacant;
    }

    /// Stops handing out spares and wakes every waiting thread; returns
    /// the spare threads started so far, for the caller to join.
    pub(crate) fn close(&self) -> Vec<JoinHandle<()>> {
        let threads = {
            let mut table = self.lock();
            table.closed = true;
            std::mem::take(&mut table.threads)
        };
        self.spare_wakeup.notify_all();
        threads
    }
}
