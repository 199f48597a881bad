//! `Builder`: the knobs of a runtime, and building it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::blocked::{BlockedTask, OnBlocked};
use super::blocking::{BlockingConfig, BlockingPool};
use super::handle::{Handle, Kind};
use super::inspect::InspectServer;
use super::multi_thread::monitor::MonitorConfig;
use super::runtime::Runtime;
use super::{context, current_thread, multi_thread};
use crate::trace;

/// The monitor's default threshold: a poll longer than this is a blocked
/// worker. Far above any healthy poll, well below what a user notices.
const DEFAULT_MONITOR_THRESHOLD: Duration = Duration::from_millis(20);
/// How long a spare worker thread waits, idle, before it exits.
const DEFAULT_SPARE_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The most workers a runtime may have (the idle accounting packs counts
/// in 16 bits; far more than any machine has cores).
const MAX_WORKERS: usize = 4096;

/// Which scheduler a runtime uses.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().flavor(deli::Flavor::CurrentThread).build()?;
/// assert_eq!(runtime.block_on(async { 1 }), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Every task runs on the thread inside `block_on`.
    CurrentThread,
    /// Work-stealing workers, one per core by default.
    #[default]
    MultiThread,
}

/// Configures and builds a [`Runtime`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let runtime = deli::Runtime::builder()
///     .workers(2)
///     .thread_name("my-worker")
///     .max_blocking_threads(8)
///     .blocking_keep_alive(Duration::from_secs(1))
///     .build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    flavor: Flavor,
    workers: Option<usize>,
    thread_name: String,
    blocking: BlockingConfig,
    monitor: Option<Duration>,
    max_spare_workers: Option<usize>,
    spare_keep_alive: Duration,
    on_blocked: Option<OnBlocked>,
    start_paused: bool,
    inspect: Option<PathBuf>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// A multi-thread builder with the defaults: one worker per core, up to
    /// 512 blocking threads that retire after 10 s idle.
    pub fn new() -> Builder {
        Builder {
            flavor: Flavor::MultiThread,
            workers: None,
            thread_name: "deli-worker".to_owned(),
            blocking: BlockingConfig::default(),
            monitor: Some(DEFAULT_MONITOR_THRESHOLD),
            max_spare_workers: None,
            spare_keep_alive: DEFAULT_SPARE_KEEP_ALIVE,
            on_blocked: None,
            start_paused: false,
            inspect: None,
        }
    }

    crate::setters::setters! {
        /// Starts the runtime with its clock paused, for tests: time stands
        /// still until `deli::time::advance` moves it or every task is idle, when
        /// it jumps to the next timer (see [`crate::time::pause`]). Only for the
        /// current-thread flavour; `build` refuses it for the multi-thread one.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        ///
        /// let rt = deli::Runtime::builder().current_thread().start_paused(true).build()?;
        /// let real = std::time::Instant::now();
        /// rt.block_on(deli::sleep(Duration::from_secs(3600)));
        /// assert!(real.elapsed() < Duration::from_secs(60));
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn start_paused(mut self, start_paused: bool) => self.start_paused = start_paused;

        /// Chooses the scheduler.
        pub fn flavor(mut self, flavor: Flavor) => self.flavor = flavor;
    }

    /// Shorthand for `flavor(Flavor::CurrentThread)`.
    pub fn current_thread(self) -> Builder {
        self.flavor(Flavor::CurrentThread)
    }

    /// Shorthand for `flavor(Flavor::MultiThread)`.
    pub fn multi_thread(self) -> Builder {
        self.flavor(Flavor::MultiThread)
    }

    crate::setters::setters! {
        /// How many worker threads a multi-thread runtime runs (default: one
        /// per core). Zero, or more than 4096, is refused by
        /// [`build`](Builder::build).
        pub fn workers(mut self, workers: usize) => self.workers = Some(workers);

        /// The name prefix of worker threads (a `-N` suffix is added).
        pub fn thread_name(mut self, name: impl Into<String>) => self.thread_name = name.into();

        /// The most threads the blocking pool may run at once (default 512).
        /// Calls beyond it wait in a queue. Zero is refused by `build`.
        pub fn max_blocking_threads(mut self, threads: usize) =>
            self.blocking.max_threads = threads;

        /// How long an idle blocking thread waits for work before it exits
        /// (default 10 s).
        pub fn blocking_keep_alive(mut self, keep_alive: Duration) =>
            self.blocking.keep_alive = keep_alive;

        /// The monitor of a multi-thread runtime: a thread that notices a task
        /// blocking its worker — one poll running longer than `threshold`
        /// (default 20 ms) — hands that worker's queued tasks to the others,
        /// lets a spare worker thread run in its place so the number of
        /// workers running tasks stays as configured (never above it), keeps
        /// timers and I/O served, and reports the task (see
        /// [`on_blocked`](Builder::on_blocked)). When the long poll returns,
        /// its thread becomes a spare.
        ///
        /// `None` turns the monitor off. A runtime with the monitor on runs one
        /// extra thread (the monitor, `<thread_name>-monitor`), which wakes
        /// every `threshold / 2`; workers pay a relaxed store per poll (which
        /// they make anyway) and spare threads exist only while a task blocks
        /// (and for [`spare_keep_alive`](Builder::spare_keep_alive) after).
        /// Ignored by the current-thread flavour. A zero threshold is refused
        /// by [`build`](Builder::build).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// let runtime = deli::Runtime::builder()
        ///     .workers(2)
        ///     .monitor(Some(Duration::from_millis(50)))
        ///     .build()?;
        /// let quiet = deli::Runtime::builder().monitor(None).build()?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn monitor(mut self, threshold: Option<Duration>) => self.monitor = threshold;

        /// The most spare worker threads the monitor may run in place of
        /// blocked workers at once (default: as many as there are workers, as
        /// long as workers and spares stay within 4096).
        /// Zero means the monitor only hands a blocked worker's queue over and
        /// reports it.
        ///
        /// # Examples
        ///
        /// ```
        /// let runtime = deli::Runtime::builder().workers(4).max_spare_workers(2).build()?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn max_spare_workers(mut self, spares: usize) => self.max_spare_workers = Some(spares);

        /// How long an idle spare worker thread (including a worker whose long
        /// poll has returned) waits to be needed before it exits (default 10 s).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// let runtime = deli::Runtime::builder()
        ///     .spare_keep_alive(Duration::from_secs(1))
        ///     .build()?;
        /// # Ok::<(), std::io::Error>(())
        /// ```
        pub fn spare_keep_alive(mut self, keep_alive: Duration) =>
            self.spare_keep_alive = keep_alive;
    }

    /// Calls `callback`, on the monitor thread, for every blocking episode
    /// the monitor sees: when it notices and when it ends (see
    /// [`BlockedTask`]). The same reports go out as `tracing` events
    /// (target `deli::monitor`) whether or not a callback is set. Keep the
    /// callback short: the monitor waits for it.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder()
    ///     .on_blocked(|report| eprintln!("{report}"))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_blocked(
        mut self,
        callback: impl Fn(&BlockedTask) + Send + Sync + 'static,
    ) -> Builder {
        self.on_blocked = Some(OnBlocked(Arc::new(callback)));
        self
    }

    /// Serves snapshots of the runtime — its [metrics](super::RuntimeMetrics)
    /// and every live [task](crate::TaskInfo) — on a Unix socket at `path`,
    /// for `deli top <path>` and other tools. Off by default.
    ///
    /// The protocol: connect, send a line (`snapshot`, or an empty line),
    /// read one line of JSON (a [`Snapshot`](super::Snapshot)); repeat as
    /// often as you like. A small thread serves the socket; clients never
    /// hold up the program (timeouts, no `SIGPIPE`, at most 8 at once), and
    /// the socket file is removed when the runtime shuts down. A stale
    /// socket file at `path` is replaced; `build` fails if another program
    /// answers on it or `path` is some other kind of file.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{BufRead, BufReader, Write};
    /// use std::os::unix::net::UnixStream;
    ///
    /// let path = std::env::temp_dir().join(format!("deli-doc-{}.sock", std::process::id()));
    /// let runtime = deli::Runtime::builder().workers(1).inspect(&path).build()?;
    /// let mut client = UnixStream::connect(&path)?;
    /// client.write_all(b"snapshot\n")?;
    /// let mut line = String::new();
    /// BufReader::new(client).read_line(&mut line)?;
    /// let snapshot: deli::runtime::Snapshot = serde_json::from_str(&line).unwrap();
    /// assert_eq!(snapshot.pid, std::process::id());
    /// drop(runtime);
    /// assert!(!path.exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn inspect(mut self, path: impl AsRef<Path>) -> Builder {
        self.inspect = Some(path.as_ref().to_owned());
        self
    }

    /// Builds the runtime and starts its threads.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero workers, zero blocking threads, a zero
    /// monitor threshold, more than 4096 workers and spares, or
    /// `start_paused` on a multi-thread runtime; any error
    /// the OS gives when creating the event queue or the threads; for
    /// [`inspect`](Builder::inspect), any error binding its socket.
    pub fn build(self) -> io::Result<Runtime> {
        let inspect = self.inspect.clone();
        let mut runtime = self.build_runtime()?;
        if let Some(path) = inspect {
            let server = InspectServer::start(&path, runtime.handle().clone())?;
            runtime.set_inspect(server);
        }
        Ok(runtime)
    }

    fn build_runtime(self) -> io::Result<Runtime> {
        if self.workers == Some(0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a runtime needs at least one worker",
            ));
        }
        if self.workers.is_some_and(|workers| workers > MAX_WORKERS) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a runtime takes at most {MAX_WORKERS} workers"),
            ));
        }
        if self.flavor == Flavor::CurrentThread && self.workers.is_some_and(|n| n != 1) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a current-thread runtime has exactly one worker",
            ));
        }
        if self.thread_name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a thread name cannot contain a NUL byte",
            ));
        }
        if self.blocking.max_threads == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the blocking pool needs at least one thread",
            ));
        }
        if self.monitor == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the monitor's threshold must be above zero",
            ));
        }
        if self.start_paused && self.flavor == Flavor::MultiThread {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "start_paused needs the current-thread flavour (a paused clock \
                 auto-advances only on a current-thread runtime)",
            ));
        }
        let mut blocking = self.blocking;
        blocking.thread_name = format!("{}-blocking", self.thread_name);
        let blocking = BlockingPool::new(blocking);
        match self.flavor {
            Flavor::CurrentThread => {
                let shared = current_thread::Shared::new(blocking, trace::next_executor_id())?;
                if self.start_paused {
                    shared.driver.timers.pause_clock();
                }
                Ok(Runtime::from_parts(
                    Handle::new(Kind::CurrentThread(shared)),
                    Vec::new(),
                ))
            }
            Flavor::MultiThread => {
                let workers = self.workers.unwrap_or_else(default_workers);
                let monitor = self.monitor.map(|threshold| MonitorConfig {
                    threshold,
                    // By default as many spares as workers, within the
                    // slot limit (which explicit counts must respect).
                    max_spares: self
                        .max_spare_workers
                        .unwrap_or_else(|| workers.min(MAX_WORKERS.saturating_sub(workers))),
                    keep_alive: self.spare_keep_alive,
                    on_blocked: self.on_blocked.clone(),
                });
                let spares = monitor.as_ref().map_or(0, |monitor| monitor.max_spares);
                if workers.saturating_add(spares) > MAX_WORKERS {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("a runtime takes at most {MAX_WORKERS} workers and spares"),
                    ));
                }
                let config = multi_thread::Config {
                    workers,
                    thread_name: self.thread_name,
                    monitor,
                    trace_id: trace::next_executor_id(),
                    enter_thread: context::enter_multi_thread_worker,
                };
                let (shared, threads) = multi_thread::start(config, blocking)?;
                Ok(Runtime::from_parts(
                    Handle::new(Kind::MultiThread(shared)),
                    threads,
                ))
            }
        }
    }
}

impl Runtime {
    /// A multi-thread runtime with one worker per core.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A builder to choose the flavour, worker count and limits.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// assert_eq!(runtime.block_on(async { "here" }), "here");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
