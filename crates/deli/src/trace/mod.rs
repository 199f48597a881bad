//! Tracing: what ran where, and when — every lifecycle transition of every
//! job deli runs, on a timeline you can open in Perfetto.
//!
//! [`start`] begins recording, [`stop`] ends it and returns the [`Trace`]:
//! each [`Event`] says which task or job entered which [`State`] when, and
//! on which [`Lane`] (a runtime worker, a thread-pool thread, a blocking
//! thread, a worker process, or any other thread). Async tasks on both
//! schedulers, blocking calls, thread-pool jobs and process jobs are all
//! recorded; a process job's runs are recorded by the parent on the
//! child's lane (Running when the child starts it, Terminated when its
//! reply or failure arrives). Reports of the runtime's monitor (a task
//! that blocked its worker) come with it, as [`Blocked`].
//! [`Trace::write_chrome_json`] writes the Chrome trace event format.
//!
//! ```
//! deli::trace::start();
//! deli::run(async {
//!     let answer = deli::spawn(async { 6 * 7 });
//!     assert_eq!(answer.await, Ok(42));
//! });
//! let trace = deli::trace::stop();
//! assert!(trace.events().iter().any(|e| e.state == deli::State::Terminated));
//! let json = trace.to_chrome_json();
//! assert!(json.contains("\"traceEvents\""));
//! ```
//!
//! Cost: when off, a transition pays one relaxed atomic load. When on, an
//! event is a timestamp (one `rdtsc` where the counter is trustworthy, see
//! `clock`) and three words appended to the calling thread's own log, with
//! no lock and no shared write; a thread takes a lock once per session, to
//! register its log. The clock read is most of that cost (on the 2-core
//! development VM an `rdtsc` next to the scheduler's atomic operations
//! costs about 12 ns, as much as everything else an event does), so a few
//! events share one: a task's first Ready takes the time of its New when
//! it is queued right after being made; a task queued again by the poll
//! that just ended takes that poll's end; and a poll that a worker starts
//! straight after the previous one, with a task it queued itself, starts
//! at the time the previous one ended (it is also written with the poll's
//! end, as one event, even when the poll records other events meanwhile,
//! and split again by `stop()`). An event that an async task's poll causes
//! on its worker (a spawn, a wake of another task) takes the time that
//! poll started: it is early by at most how long the poll had run then
//! (async polls are short; the monitor reports one that holds its worker
//! past its threshold). So does one that a poll of a `block_on`'s future
//! causes on the thread that blocks (the spawns straight from
//! [`Runtime::block_on`](crate::Runtime::block_on), say): that poll reads
//! the clock once, at its start, and its events are early by at most how
//! long it had run (the monitor does not watch it). A poll still costs one
//! clock read, at its end: the `trace` benchmark suite measures what that
//! leaves (`deli-bench -- trace`; in `yield_many`, whose polls take about
//! 100 ns, that read is nearly all of it). While tracing, a poll that yields
//! (`yield_now`) is recorded as going back to Ready at its end, without
//! the instant of Waiting that an untraced one passes through.
//!
//! Memory: at most [`DEFAULT_MAX_EVENTS`] events (24 bytes each) per
//! session unless [`start_with_capacity`] says otherwise; past that, events
//! are dropped and counted ([`Trace::dropped_events`]). A thread holding
//! the log of a stopped session reuses its memory for its next session, or
//! frees it when it exits.
//!
//! Limits: a poll still running when [`stop`] is called is missing from
//! the trace if it started straight after another poll on the same worker
//! (its start is written with its end); the monitor's [`Blocked`] reports
//! still show a poll that blocks its worker.
//!
//! Layering: this module is at the bottom. It uses the plain types `State`
//! and `TaskId` of `task` and nothing else of deli; `task` calls into it
//! to record transitions, and the schedulers, pools and the process pool
//! tell it their lanes. Inside: `log` (the lock-free per-thread log, with
//! loom models), `clock`, `recorder` (switch, sessions, lanes), `collect`
//! (raw events to a [`Trace`]) and `chrome` (the JSON).

mod chrome;
mod clock;
mod collect;
mod log;
mod recorder;

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::task::{State, TaskId};

pub use recorder::DEFAULT_MAX_EVENTS;

/// A new executor's number in trace lanes: runtimes
/// ([`Lane::Worker`]`::runtime`) and thread pools
/// ([`Lane::PoolThread`]`::pool`) are numbered together, process-wide, in
/// the order they were built, so no two executors share lanes.
pub(crate) fn next_executor_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}
pub(crate) use recorder::{
    enter_lane, intern, next_poll_follows, record_blocked, record_in, record_process, session,
    thread_poll, time_passes, LaneId, Moment,
};

/// Starts recording, keeping at most [`DEFAULT_MAX_EVENTS`] events.
/// Clears anything recorded before; does nothing if already recording.
///
/// # Examples
///
/// ```
/// deli::trace::start();
/// assert!(deli::trace::is_enabled());
/// let trace = deli::trace::stop();
/// assert!(!deli::trace::is_enabled());
/// assert!(trace.events().is_empty() || trace.duration() > std::time::Duration::ZERO);
/// ```
pub fn start() {
    recorder::start(DEFAULT_MAX_EVENTS);
}

/// [`start`], keeping at most `max_events` events (rounded up to a whole
/// number of 4096-event chunks; each thread that records uses at least one).
///
/// # Examples
///
/// ```
/// deli::trace::start_with_capacity(10_000);
/// let pool = deli::ThreadPool::new(1).unwrap();
/// pool.submit(|| 1).wait_blocking().unwrap();
/// let trace = deli::trace::stop();
/// assert_eq!(trace.dropped_events(), 0);
/// ```
pub fn start_with_capacity(max_events: usize) {
    recorder::start(max_events);
}

/// Stops recording and returns everything recorded since [`start`]. When
/// not recording, returns an empty trace.
///
/// # Examples
///
/// ```
/// deli::trace::start();
/// deli::spawn_blocking(|| 2 + 2).wait_blocking().unwrap();
/// let trace = deli::trace::stop();
/// assert!(trace.events().iter().any(|e| e.kind == deli::trace::JobKind::Blocking));
/// ```
pub fn stop() -> Trace {
    recorder::stop()
}

/// Whether recording is on (one relaxed atomic load).
///
/// # Examples
///
/// ```
/// if !deli::trace::is_enabled() {
///     println!("not tracing");
/// }
/// ```
#[inline]
pub fn is_enabled() -> bool {
    recorder::is_enabled()
}

/// What a traced job is: which executor ran it.
///
/// # Examples
///
/// ```
/// use deli::trace::JobKind;
/// assert_eq!(JobKind::Pool.name(), "pool");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// An async task on a runtime.
    Async,
    /// A call on a blocking pool ([`spawn_blocking`](crate::spawn_blocking)).
    Blocking,
    /// A job on a [`ThreadPool`](crate::ThreadPool).
    Pool,
    /// A job on a [`ProcessPool`](crate::ProcessPool).
    Process,
}

impl JobKind {
    /// The kind in lower case, as the Chrome trace's `cat` field has it:
    /// `async`, `blocking`, `pool` or `process`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::trace::JobKind::Async.name(), "async");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Async => "async",
            JobKind::Blocking => "blocking",
            JobKind::Pool => "pool",
            JobKind::Process => "process",
        }
    }
}

/// Where an event happened: one row of the timeline.
///
/// Lanes sort workers first, then pool threads, blocking threads, worker
/// processes and other threads.
///
/// # Examples
///
/// ```
/// use deli::trace::Lane;
/// let lane = Lane::Worker { runtime: 1, index: 0 };
/// assert_eq!(lane.to_string(), "runtime 1 worker 0");
/// assert!(lane < Lane::Process { pid: 7 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    /// A runtime worker thread (index within its runtime; the thread that
    /// drives a current-thread runtime is its worker 0).
    Worker {
        /// Which runtime: runtimes and pools are numbered together, in the
        /// order they were built.
        runtime: u64,
        /// The worker slot (spare workers come after the configured ones).
        index: usize,
    },
    /// A thread-pool thread.
    PoolThread {
        /// Which pool: runtimes and pools are numbered together, in the
        /// order they were built.
        pool: u64,
        /// The thread's index in its pool.
        index: usize,
    },
    /// A blocking-pool thread.
    BlockingThread {
        /// Blocking threads numbered process-wide in the order they started.
        index: usize,
    },
    /// A worker process of a process pool.
    Process {
        /// The child's process id.
        pid: u32,
    },
    /// Any other thread (e.g. the thread that spawned or woke a task).
    Thread {
        /// The thread's name, or its id when it has none.
        name: String,
    },
}

impl fmt::Display for Lane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lane::Worker { runtime, index } => write!(f, "runtime {runtime} worker {index}"),
            Lane::PoolThread { pool, index } => write!(f, "pool {pool} thread {index}"),
            Lane::BlockingThread { index } => write!(f, "blocking {index}"),
            Lane::Process { pid } => write!(f, "process {pid}"),
            Lane::Thread { name } => f.write_str(name),
        }
    }
}

/// One lifecycle transition: `task` entered `state` at `at`, on `lane`.
///
/// # Examples
///
/// ```
/// deli::trace::start();
/// let ticket = deli::ThreadPool::new(1).unwrap().submit(|| 3);
/// let id = ticket.id();
/// ticket.wait_blocking().unwrap();
/// let trace = deli::trace::stop();
/// let states: Vec<deli::State> = trace
///     .events()
///     .iter()
///     .filter(|e| e.task == id)
///     .map(|e| e.state)
///     .collect();
/// assert_eq!(states.first(), Some(&deli::State::New));
/// assert_eq!(states.last(), Some(&deli::State::Terminated));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When, since [`start`].
    pub at: Duration,
    /// The task or job ([`Ticket::id`](crate::Ticket::id)).
    pub task: TaskId,
    /// The task's name, if it has one.
    pub name: Option<Arc<str>>,
    /// Which executor runs it.
    pub kind: JobKind,
    /// The state entered.
    pub state: State,
    /// Where it happened.
    pub lane: Lane,
}

/// A monitor report recorded in the trace: `task` held the worker on
/// `lane` in one poll for `duration` (so far, or in all when `is_over`).
/// See [`BlockedTask`](crate::BlockedTask).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let runtime = deli::Runtime::builder()
///     .workers(2)
///     .monitor(Some(Duration::from_millis(20)))
///     .build()?;
/// deli::trace::start();
/// runtime.spawn(async { std::thread::sleep(Duration::from_millis(200)) }).wait_blocking().unwrap();
/// // The monitor reports the end of the episode within its sampling period.
/// std::thread::sleep(Duration::from_millis(50));
/// let trace = deli::trace::stop();
/// for report in trace.blocked() {
///     assert!(matches!(report.lane, deli::trace::Lane::Worker { .. }));
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Blocked {
    /// When the monitor reported it, since [`start`].
    pub at: Duration,
    /// The task that blocked its worker.
    pub task: TaskId,
    /// Its name, if it has one.
    pub name: Option<Arc<str>>,
    /// The worker it blocked.
    pub lane: Lane,
    /// How long its poll had run.
    pub duration: Duration,
    /// Whether the poll had returned (the report of the whole episode).
    pub is_over: bool,
}

/// Everything recorded between [`start`] and [`stop`].
///
/// # Examples
///
/// ```
/// deli::trace::start();
/// deli::run(async { deli::yield_now().await });
/// let trace = deli::trace::stop();
/// assert!(trace.events().windows(2).all(|w| w[0].at <= w[1].at));
/// for lane in trace.lanes() {
///     println!("{lane}");
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Trace {
    events: Vec<Event>,
    lanes: Vec<Lane>,
    blocked: Vec<Blocked>,
    duration: Duration,
    dropped: u64,
}

impl Trace {
    /// Every event, in time order.
    ///
    /// # Examples
    ///
    /// ```
    /// let trace = deli::trace::Trace::default();
    /// assert!(trace.events().is_empty());
    /// ```
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Every lane that has an event or a report, in lane order.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::trace::start();
    /// deli::spawn_blocking(|| ()).wait_blocking().unwrap();
    /// let trace = deli::trace::stop();
    /// assert!(trace
    ///     .lanes()
    ///     .iter()
    ///     .any(|lane| matches!(lane, deli::trace::Lane::BlockingThread { .. })));
    /// ```
    pub fn lanes(&self) -> &[Lane] {
        &self.lanes
    }

    /// The monitor's reports of blocked workers, in time order.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::trace::Trace::default().blocked().is_empty());
    /// ```
    pub fn blocked(&self) -> &[Blocked] {
        &self.blocked
    }

    /// How long recording ran, from [`start`] to [`stop`].
    ///
    /// # Examples
    ///
    /// ```
    /// deli::trace::start();
    /// std::thread::sleep(std::time::Duration::from_millis(2));
    /// assert!(deli::trace::stop().duration() >= std::time::Duration::from_millis(2));
    /// ```
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Events that were not kept because the trace reached its capacity.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::trace::Trace::default().dropped_events(), 0);
    /// ```
    pub fn dropped_events(&self) -> u64 {
        self.dropped
    }

    /// The trace in the Chrome trace event format, as a JSON document.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::trace::start();
    /// deli::run(async {});
    /// let json = deli::trace::stop().to_chrome_json();
    /// assert!(json.starts_with('{') && json.contains("\"displayTimeUnit\""));
    /// ```
    pub fn to_chrome_json(&self) -> String {
        chrome::to_json(self)
    }

    /// Writes [`to_chrome_json`](Trace::to_chrome_json) to `path`, for
    /// Perfetto, `chrome://tracing` or `deli trace render`.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::trace::start();
    /// deli::run(async { deli::spawn(async {}).await.unwrap() });
    /// let path = std::env::temp_dir().join(format!("deli-doc-{}.json", std::process::id()));
    /// deli::trace::stop().write_chrome_json(&path)?;
    /// assert!(std::fs::read_to_string(&path)?.contains("thread_name"));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_chrome_json(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_chrome_json())
    }
}
