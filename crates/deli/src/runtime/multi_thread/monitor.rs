//! The monitor: a thread per multi-thread runtime that notices a task
//! blocking its worker and keeps the runtime going around it.
//!
//! Every `threshold / 2` it samples each active worker's poll word (bumped,
//! with the task's id, by one relaxed-cost store per poll: see
//! [`poll_word`](super::poll_word)). A worker whose word has not moved for
//! at least `threshold` while it was awake at every sample is inside one
//! long poll: blocked. The monitor then
//!
//! - hands the worker's queue and fast-path slot to the injector (and keeps
//!   doing so while the episode lasts: the stuck task may wake others),
//! - activates a spare in its place ([`Spares::replace`](super::spares::Spares::replace)),
//!   first starting a spare thread on a vacant slot if none waits
//!   ([`worker::launch`](super::worker::launch)), so the count of workers
//!   running tasks stays as configured,
//! - turns the driver itself while any worker is blocked, so timers and
//!   I/O keep being served even if no one else can,
//! - reports the task (id, name, spawn location, duration) to the
//!   `on_blocked` callback, as `tracing` events and, when deli's own trace
//!   is on, as [`trace::Blocked`](crate::trace::Blocked) reports on the
//!   worker's lane, when it notices and when the poll returns.
//!
//! A worker the OS has kept off the CPU for most of that time (runnable,
//! not run: the machine is busier than its cores) is not blocked, and is
//! left alone ([`sched`](super::sched) reads its CPU time and state).
//!
//! Between samples it sleeps parked; shutdown unparks it.
//!
//! It may use `shared`, `spares`, `worker` (to start spare threads),
//! `sched`, the task registry (to name the task) and `trace`.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::queue::{self, Local};
use super::sched::{self, SchedSample};
use super::shared::{QueueAccess, Shared, POLL_ID_MASK, POLL_SEQ_BITS};
use super::spares::SlotState;
use super::worker::{self, Start};
use crate::runtime::blocked::{BlockedTask, OnBlocked};
use crate::task::{Runnable, TaskIdentity};
use crate::trace::{self, Lane};

/// The monitor's settings, from the builder.
#[derive(Debug, Clone)]
pub(crate) struct MonitorConfig {
    pub(crate) threshold: Duration,
    pub(crate) max_spares: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) on_blocked: Option<OnBlocked>,
}

/// What the monitor knows of one worker slot.
#[derive(Debug)]
struct Watch {
    /// The poll word last seen, and since when it has not moved (with the
    /// worker awake).
    word: u64,
    since: Instant,
    /// The worker thread's CPU time, read when its word was first seen
    /// standing still: at the threshold, a worker that barely ran since and
    /// is waiting for a CPU is not taken for blocked.
    sched: Option<SchedSample>,
    episode: Option<Episode>,
}

#[derive(Debug)]
struct Episode {
    task: Option<TaskIdentity>,
    since: Instant,
    /// A spare runs in the worker's place.
    compensated: bool,
}

pub(crate) struct Monitor {
    shared: Arc<Shared>,
    threshold: Duration,
    on_blocked: Option<OnBlocked>,
    watches: Vec<Watch>,
    states: Vec<SlotState>,
    /// A queue of the monitor's own, to steal a blocked worker's into.
    scratch: Local<Runnable>,
}

impl Monitor {
    pub(crate) fn new(shared: Arc<Shared>, config: &MonitorConfig) -> Monitor {
        let now = Instant::now();
        let watches = (0..shared.slots())
            .map(|_| Watch {
                word: 0,
                since: now,
                sched: None,
                episode: None,
            })
            .collect();
        let (scratch, _steal) = queue::local();
        Monitor {
            shared,
            threshold: config.threshold,
            on_blocked: config.on_blocked.clone(),
            watches,
            states: Vec::new(),
            scratch,
        }
    }

    /// The monitor thread's body: sample until shutdown.
    pub(crate) fn run(mut self) {
        let period = (self.threshold / 2).max(Duration::from_millis(1));
        loop {
            // An early return (a spurious wake) only makes a sample early.
            thread::park_timeout(period);
            if self.shared.is_shutdown() {
                return;
            }
            self.sample();
        }
    }

    fn sample(&mut self) {
        let shared = self.shared.clone();
        shared.spares().snapshot(&mut self.states);
        let now = Instant::now();
        let mut any_blocked = false;
        for index in 0..shared.spares().in_use() {
            let remote = shared.remote(index);
            let word = remote.polls.load(Ordering::Acquire);
            let state = self.states[index];
            let parked = remote.parker.is_parked();
            let watch = &mut self.watches[index];
            if let Some(episode) = &watch.episode {
                let still_stuck = word == watch.word
                    && (state == SlotState::Blocked || (state == SlotState::Active && !parked));
                if still_stuck {
                    any_blocked = true;
                    let compensated = episode.compensated;
                    self.hand_over(index);
                    if !compensated && self.replace(index) {
                        // A spare has come free since the episode began.
                        if let Some(episode) = &mut self.watches[index].episode {
                            episode.compensated = true;
                        }
                    }
                    continue;
                }
                let report = report(index, episode, now, true);
                self.watches[index].episode = None;
                self.emit(&report);
                let watch = &mut self.watches[index];
                watch.word = word;
                watch.since = now;
                watch.sched = None;
                continue;
            }
            // Zero: no poll since the worker started (or was activated).
            if state != SlotState::Active || parked || word != watch.word || word == 0 {
                watch.word = word;
                watch.since = now;
                watch.sched = None;
                continue;
            }
            let tid = remote.tid.load(Ordering::Relaxed);
            if now.duration_since(watch.since) < self.threshold {
                if watch.sched.is_none() {
                    watch.sched = sched::sample(tid);
                }
                continue;
            }
            let latest = sched::sample(tid);
            if let (Some(earlier), Some(later)) = (watch.sched, latest) {
                if sched::starved(tid, earlier, later) {
                    // Preempted, not blocked: look again a threshold on.
                    watch.since = now;
                    watch.sched = latest;
                    continue;
                }
            }
            // One poll has run past the threshold: a blocked worker.
            let since = watch.since;
            let task = shared.owned().describe(word >> POLL_SEQ_BITS, POLL_ID_MASK);
            self.hand_over(index);
            let compensated = self.replace(index);
            let episode = Episode {
                task,
                since,
                compensated,
            };
            let report = report(index, &episode, now, false);
            shared.count_blocked_episode();
            self.watches[index].episode = Some(episode);
            self.emit(&report);
            any_blocked = true;
        }
        if any_blocked {
            // The worker that would have polled the driver may be the one
            // stuck: poll it here, without blocking.
            if let Some(mut driver) = shared.driver().try_lock() {
                driver.park(Some(Duration::ZERO));
            }
            shared.notify_parked();
        }
    }

    /// Moves the blocked worker's fast-path task and queue to the injector.
    fn hand_over(&mut self, index: usize) {
        let shared = &self.shared;
        let moved = shared.drain_slot(index, QueueAccess::Thief(&mut self.scratch), |task| {
            shared.push_or_drop(task);
        });
        if moved {
            shared.notify_parked();
        }
    }

    /// Puts a spare in the place of `blocked`, starting a spare thread on a
    /// vacant slot first if none waits. Returns whether a spare took over.
    fn replace(&self, blocked: usize) -> bool {
        let shared = &self.shared;
        let spares = shared.spares();
        if let Some((slot, local)) = spares.take_vacant_if_no_spare() {
            match worker::launch(shared, slot, local, Start::Spare) {
                Ok(thread) => spares.started(slot, thread),
                // No thread: the slot stays out of use, and the worker
                // stays blocked uncompensated (the episode says so).
                Err((_error, local)) => spares.vacate(slot, local),
            }
        }
        let remote = shared.remote(blocked);
        let mark_blocked = || {
            shared
                .idle()
                .mark_blocked(blocked, || remote.retire.store(true, Ordering::Release))
        };
        let ready_spare = |spare: usize| {
            let replacement = shared.remote(spare);
            replacement.retire.store(false, Ordering::Release);
            // A fresh start for the monitor's watch: zero means "no poll yet".
            replacement.polls.store(0, Ordering::Release);
        };
        spares.replace(blocked, mark_blocked, ready_spare).is_some()
    }

    fn emit(&self, report: &Option<BlockedTask>) {
        let Some(report) = report else {
            return;
        };
        let name = report.name().unwrap_or("");
        let millis = report.duration().as_secs_f64() * 1000.0;
        let message = if report.is_over() {
            "a task blocked its worker; move the blocking call to spawn_blocking or a pool"
        } else {
            "a task is blocking its worker; a spare worker runs in its place"
        };
        tracing::warn!(
            target: "deli::monitor",
            task_id = report.id().as_u64(),
            task_name = name,
            spawned_at = %report.spawned_at(),
            worker = report.worker(),
            blocked_ms = millis,
            "{message}"
        );
        trace::record_blocked(
            trace::intern(Lane::Worker {
                runtime: self.shared.trace_id(),
                index: report.worker(),
            }),
            report.id(),
            report.name(),
            report.duration(),
            report.is_over(),
        );
        if let Some(callback) = &self.on_blocked {
            // A panicking callback must not take the monitor down with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (callback.0)(report)));
        }
    }
}

/// The report of `episode` on `worker` as of `now`.
fn report(worker: usize, episode: &Episode, now: Instant, is_over: bool) -> Option<BlockedTask> {
    // A task that finished before the monitor could name it (a worker
    // descheduled between polls looks the same) goes unreported.
    let task = episode.task.as_ref()?;
    Some(BlockedTask {
        id: task.id,
        name: task.name.clone(),
        spawned_at: task.spawned_at,
        worker,
        duration: now.duration_since(episode.since),
        is_over,
    })
}
