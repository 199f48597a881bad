//! Worker slots and spare worker threads.
//!
//! A multi-thread runtime with the monitor on has `workers + max_spares`
//! worker slots, each with its own queue, fast-path slot and parker (the
//! [`Remote`](super::Remote)s). A thread stays with its slot for life;
//! what changes is the slot's [`SlotState`]. At most `workers` slots are
//! [`Active`](SlotState::Active) — running tasks — at any time: the
//! monitor activates a spare slot only in place of a worker it has just
//! marked [`Blocked`](SlotState::Blocked), and that worker's thread, when
//! its long poll returns, retires to [`Spare`](SlotState::Spare) and waits
//! here to be needed again. A spare idle past the keep-alive exits and
//! leaves its queue here for the next thread started on the slot.
//!
//! Everything here is the slow path (an episode, a retirement), under one
//! lock. It may call `worker` (to start a thread on a slot).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::queue::Local;
use super::worker::Worker;
use super::Shared;
use crate::runtime::handle::{Handle, Kind};
use crate::task::Runnable;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// Its thread runs tasks (or looks for some, or sleeps as a worker).
    Active,
    /// Its thread is stuck in one poll; a spare runs in its place.
    Blocked,
    /// Its thread waits here to be activated.
    Spare,
    /// Its thread is on its way out (keep-alive passed).
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
    /// The monitor sleeps on it between samples (shutdown wakes it).
    monitor_wakeup: Condvar,
    keep_alive: Duration,
    thread_name: String,
    /// Slots `0..in_use` have ever had a thread: the ones worth looking at
    /// when stealing. Only grows.
    /// Read on every steal: kept off the cache lines of the busy fields.
    in_use: CachePadded<AtomicUsize>,
}

impl Spares {
    /// Slots `0..workers` start active (their threads are started by the
    /// caller); the others are vacant, holding `spare_locals`.
    pub(crate) fn new(
        workers: usize,
        spare_locals: Vec<Local<Runnable>>,
        keep_alive: Duration,
        thread_name: &str,
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
            monitor_wakeup: Condvar::new(),
            keep_alive,
            thread_name: thread_name.to_owned(),
            in_use: CachePadded::new(AtomicUsize::new(workers)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Puts `blocked` (an active worker found stuck) out of the running
    /// set and a spare in its place. Returns the spare's slot, or `None`
    /// if there is no spare slot left, a thread cannot be started, the
    /// worker turned out not to be stuck (it parked), or the runtime is
    /// shutting down.
    pub(crate) fn replace(&self, shared: &Arc<Shared>, blocked: usize) -> Option<usize> {
        let mut table = self.lock();
        if table.closed || table.states[blocked] != SlotState::Active {
            return None;
        }
        let spare = match table.states.iter().position(|&s| s == SlotState::Spare) {
            Some(spare) => spare,
            None => {
                let vacant = table.states.iter().position(|&s| s == SlotState::Vacant)?;
                let local = table.locals[vacant].take()?;
                // Started as a spare: it runs only once activated below.
                table.states[vacant] = SlotState::Spare;
                self.in_use.fetch_max(vacant + 1, Ordering::AcqRel);
                match self.start_thread(shared, vacant, local) {
                    Ok(thread) => {
                        // Spares that have exited need no joining.
                        table.threads.retain(|thread| !thread.is_finished());
                        table.threads.push(thread);
                    }
                    Err(local) => {
                        // Without its queue (which cannot happen: see
                        // `start_thread`) the slot stays out of use.
                        table.states[vacant] = if local.is_some() {
                            SlotState::Vacant
                        } else {
                            SlotState::Exiting
                        };
                        table.locals[vacant] = local;
                        return None;
                    }
                }
                vacant
            }
        };
        let remote = &shared.remotes[blocked];
        if !shared
            .idle
            .mark_blocked(blocked, || remote.retire.store(true, Ordering::Release))
        {
            return None;
        }
        table.states[blocked] = SlotState::Blocked;
        let replacement = &shared.remotes[spare];
        replacement.retire.store(false, Ordering::Release);
        // A fresh start for the monitor's watch: zero means "no poll yet".
        replacement.polls.store(0, Ordering::Release);
        table.states[spare] = SlotState::Active;
        drop(table);
        self.spare_wakeup.notify_all();
        Some(spare)
    }

    fn start_thread(
        &self,
        shared: &Arc<Shared>,
        index: usize,
        local: Local<Runnable>,
    ) -> Result<JoinHandle<()>, Option<Local<Runnable>>> {
        // The local queue travels to the thread through a slot we can take
        // it back from if the thread cannot be started.
        let handoff = Arc::new(Mutex::new(Some(local)));
        let theirs = handoff.clone();
        let thread_shared = shared.clone();
        let started = std::thread::Builder::new()
            .name(format!("{}-{index}", self.thread_name))
            .spawn(move || {
                let local = theirs.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(local) = local {
                    let handle = Handle::new(Kind::MultiThread(thread_shared.clone()));
                    Worker::new(index, thread_shared, local).run_as_spare(handle);
                }
            });
        match started {
            Ok(thread) => Ok(thread),
            // A thread that failed to start never ran the closure, so the
            // queue is still in the hand-off.
            Err(_) => Err(handoff.lock().unwrap_or_else(|p| p.into_inner()).take()),
        }
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
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// An exiting spare leaves its queue for the slot's next thread.
    pub(crate) fn vacate(&self, index: usize, local: Local<Runnable>) {
        let mut table = self.lock();
        table.locals[index] = Some(local);
        table.states[index] = SlotState::Vacant;
    }

    /// The monitor's sleep between samples: returns false once shut down.
    pub(crate) fn monitor_sleep(&self, period: Duration) -> bool {
        let table = self.lock();
        if table.closed {
            return false;
        }
        let (table, _) = self
            .monitor_wakeup
            .wait_timeout(table, period)
            .unwrap_or_else(|p| p.into_inner());
        !table.closed
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
        self.monitor_wakeup.notify_all();
        threads
    }
}
