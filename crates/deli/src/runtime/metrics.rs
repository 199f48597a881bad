//! What a running runtime can tell about itself: [`RuntimeMetrics`] (per
//! worker: polls, steals, parks, queue depth; the injector; blocking
//! episodes; spares in use) and the [`Snapshot`] that `Builder::inspect`
//! serves and `deli top` draws.
//!
//! The counters are the workers' own ([`WorkerCounters`]): each lives in
//! its worker slot's cache lines, is written only by the thread running on
//! that slot (a relaxed load and store, no read-modify-write) and read by
//! anyone, relaxed, when metrics are asked for. Nothing here is on a
//! shared line the hot path writes. A leaf of `runtime`: uses `task` only.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::task::TaskInfo;

/// One worker's event counts, written by the thread on its slot only.
#[derive(Debug, Default)]
pub(crate) struct WorkerCounters {
    polls: AtomicU64,
    steals: AtomicU64,
    parks: AtomicU64,
}

/// Adds one to a counter only its owner writes: no atomic
/// read-modify-write, just a relaxed load and store of its own line.
#[inline]
fn bump(counter: &AtomicU64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

impl WorkerCounters {
    #[inline]
    pub(crate) fn poll(&self) {
        bump(&self.polls);
    }

    /// Adds a batch's polls at once, so the poll loop itself stays free of
    /// the counter (`deli-bench scheduler`, yield_many-ct: 1.08 of tokio
    /// with a count per poll, 1.00 without).
    #[inline]
    pub(crate) fn polls(&self, polls: u64) {
        self.polls.store(
            self.polls.load(Ordering::Relaxed) + polls,
            Ordering::Relaxed,
        );
    }

    #[inline]
    pub(crate) fn steal(&self) {
        bump(&self.steals);
    }

    #[inline]
    pub(crate) fn park(&self) {
        bump(&self.parks);
    }

    /// The counts as of now, into a worker row.
    pub(crate) fn read(
        &self,
        index: usize,
        state: &'static str,
        queue_depth: usize,
    ) -> WorkerMetrics {
        WorkerMetrics {
            index,
            state: state.to_owned(),
            polls: self.polls.load(Ordering::Relaxed),
            steals: self.steals.load(Ordering::Relaxed),
            parks: self.parks.load(Ordering::Relaxed),
            queue_depth,
        }
    }
}

/// A runtime's counters at one moment: see [`Runtime::metrics`](super::Runtime::metrics).
///
/// Counts only grow (polls, steals, parks, blocking episodes); depths and
/// states are as of the call. Reading them costs a relaxed load per
/// counter and a short lock on the spare table; the workers pay a relaxed
/// store to their own cache line per event.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().workers(2).build()?;
/// runtime.block_on(async {
///     for _ in 0..10 {
///         deli::spawn(async { deli::yield_now().await }).await.unwrap();
///     }
/// });
/// let metrics = runtime.metrics();
/// assert_eq!(metrics.workers, 2);
/// assert_eq!(metrics.worker_rows.len(), 2);
/// assert!(metrics.polls() >= 10);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// `"multi-thread"` or `"current-thread"`.
    pub flavor: String,
    /// The configured number of workers (at most this many run tasks).
    pub workers: usize,
    /// One row per worker slot that has ever had a thread: the workers,
    /// then spare slots the monitor has used.
    pub worker_rows: Vec<WorkerMetrics>,
    /// Tasks waiting in the shared injection queue.
    pub injector_depth: usize,
    /// Live tasks (queued, running or waiting).
    pub live_tasks: usize,
    /// Blocking episodes the monitor has seen (a poll past its threshold).
    pub blocked_episodes: u64,
    /// Workers stuck in a long poll right now.
    pub blocked_workers: usize,
    /// Spare threads running tasks in place of blocked workers right now.
    pub spares_in_use: usize,
}

impl RuntimeMetrics {
    /// Polls made by all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// runtime.block_on(async { deli::spawn(async {}).await.unwrap() });
    /// assert!(runtime.metrics().polls() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn polls(&self) -> u64 {
        self.worker_rows.iter().map(|row| row.polls).sum()
    }

    /// Tasks taken from other workers' queues, by all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// assert_eq!(runtime.metrics().steals(), 0); // one worker steals from nobody
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn steals(&self) -> u64 {
        self.worker_rows.iter().map(|row| row.steals).sum()
    }

    /// Times any worker went to sleep for lack of work.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// std::thread::sleep(std::time::Duration::from_millis(10));
    /// assert!(runtime.metrics().parks() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn parks(&self) -> u64 {
        self.worker_rows.iter().map(|row| row.parks).sum()
    }
}

/// One worker slot's row in [`RuntimeMetrics`].
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().workers(1).build()?;
/// let row = &runtime.metrics().worker_rows[0];
/// assert_eq!(row.index, 0);
/// assert_eq!(row.state, "active");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// The slot's number (its thread is `<thread_name>-<index>`).
    pub index: usize,
    /// `active` (runs tasks), `blocked` (stuck in a long poll), `spare`
    /// (waiting to stand in), `exiting` or `vacant`; a current-thread
    /// runtime's one row is `active` while a thread drives it (inside
    /// `block_on`) and `idle` otherwise.
    pub state: String,
    /// Polls this slot's threads have made.
    pub polls: u64,
    /// Tasks it took from other workers.
    pub steals: u64,
    /// Times it slept for lack of work.
    pub parks: u64,
    /// Tasks in its local queue now (a current-thread runtime's queue
    /// only counts while no thread drives it).
    pub queue_depth: usize,
}

/// What the inspect socket serves (see
/// [`Builder::inspect`](super::Builder::inspect)): the program, its
/// runtime's metrics and every live task. One JSON object per line.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().workers(1).build()?;
/// let snapshot = runtime.snapshot();
/// assert_eq!(snapshot.pid, std::process::id());
/// let line = serde_json::to_string(&snapshot).unwrap();
/// let back: deli::runtime::Snapshot = serde_json::from_str(&line).unwrap();
/// assert_eq!(back.metrics.workers, 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// The program's process id.
    pub pid: u32,
    /// The program's executable name, as far as it is known.
    pub program: String,
    /// How long the runtime has been running.
    #[serde(with = "crate::task::millis")]
    pub uptime: Duration,
    /// The runtime's counters.
    pub metrics: RuntimeMetrics,
    /// Every live task, by id.
    pub tasks: Vec<TaskInfo>,
}

impl fmt::Display for Snapshot {
    /// The text of [`deli::dump`](super::dump): a summary, one line per
    /// worker, one line per task.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.metrics;
        writeln!(
            f,
            "deli runtime ({}, {} workers) in {} [pid {}], up {:.1?}: {} live tasks, \
             injector {}, blocked episodes {}, blocked now {}, spares in use {}",
            m.flavor,
            m.workers,
            self.program,
            self.pid,
            self.uptime,
            m.live_tasks,
            m.injector_depth,
            m.blocked_episodes,
            m.blocked_workers,
            m.spares_in_use
        )?;
        for row in &m.worker_rows {
            writeln!(
                f,
                "worker {} {:<7} polls {} steals {} parks {} queue {}",
                row.index, row.state, row.polls, row.steals, row.parks, row.queue_depth
            )?;
        }
        for task in &self.tasks {
            writeln!(f, "{task}")?;
        }
        Ok(())
    }
}
