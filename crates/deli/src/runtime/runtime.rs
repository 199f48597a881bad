//! [`Runtime`], the owner of a runtime's threads, and the quickest ways in:
//! [`run`], [`spawn`] and [`spawn_blocking`] onto the current runtime.
//!
//! A runtime is built by [`Builder`](super::Builder) (which also holds
//! `Runtime::new` and `Runtime::builder`); this file uses the handle, the
//! thread's runtime context and the blocking pool.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::blocking::BlockingPool;
use super::context;
use super::handle::Handle;
use super::inspect::InspectServer;
use super::metrics::{RuntimeMetrics, Snapshot};
use crate::task::{JobError, SpawnError, TaskInfo, TaskOptions, Ticket};

/// A deli runtime: worker threads (or the calling thread), an I/O driver,
/// timers and a pool for blocking calls.
///
/// Dropping the runtime shuts it down: workers stop after their current
/// poll, every remaining task's future is dropped and every pending ticket
/// resolves to [`JobError::Shutdown`]; queued blocking calls are dropped the
/// same way, while running ones finish on their threads.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().workers(2).build()?;
/// let answer = runtime.block_on(async {
///     let ticket = deli::spawn(async { 40 + 2 });
///     ticket.await
/// });
/// assert_eq!(answer, Ok(42));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<JoinHandle<()>>,
    shut_down: bool,
    /// The inspect socket, if the builder asked for one.
    inspect: Option<InspectServer>,
}

impl Runtime {
    pub(crate) fn from_parts(handle: Handle, workers: Vec<JoinHandle<()>>) -> Runtime {
        Runtime {
            handle,
            workers,
            shut_down: false,
            inspect: None,
        }
    }

    pub(crate) fn set_inspect(&mut self, server: InspectServer) {
        self.inspect = Some(server);
    }

    /// A handle that spawns onto this runtime from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// let handle = runtime.handle().clone();
    /// let ticket = std::thread::spawn(move || handle.spawn(async { 5 })).join().unwrap();
    /// assert_eq!(ticket.wait_blocking(), Ok(5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Spawns a task onto this runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// assert_eq!(runtime.spawn(async { 3 }).wait_blocking(), Ok(3));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Ticket<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs a blocking call on this runtime's blocking pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// assert_eq!(runtime.spawn_blocking(|| 2 + 2).wait_blocking(), Ok(4));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, f: F) -> Ticket<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Runs `future` to completion on the calling thread, inside this
    /// runtime (so `deli::spawn`, timers and I/O work in it), and returns
    /// its output. On a current-thread runtime this is also what runs the
    /// spawned tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = deli::Runtime::new()?;
    /// runtime.block_on(async {
    ///     deli::sleep(Duration::from_millis(1)).await;
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _context = context::enter(&self.handle);
        self.handle.block_on(future)
    }

    /// The runtime's counters as of now: see [`Handle::metrics`].
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(2).build()?;
    /// runtime.block_on(async { deli::spawn(async {}).await.unwrap() });
    /// let metrics = runtime.metrics();
    /// assert!(metrics.polls() >= 1);
    /// assert_eq!(metrics.blocked_episodes, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Every live task of the runtime: see [`Handle::tasks`].
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// assert!(runtime.tasks().is_empty());
    /// let _t = runtime.spawn(std::future::pending::<()>());
    /// assert_eq!(runtime.tasks().len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        self.handle.tasks()
    }

    /// Metrics and tasks together: see [`Handle::snapshot`].
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// assert_eq!(runtime.snapshot().metrics.workers, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        self.handle.snapshot()
    }

    /// Makes this runtime the calling thread's current one until the
    /// returned guard is dropped: [`deli::spawn`](spawn),
    /// [`Handle::current`], timers and sockets then work from this thread
    /// although it is no worker of the runtime. Guards nest; dropping one
    /// restores what was current before it. The guard stays on the thread
    /// that made it.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// let ticket = {
    ///     let _guard = runtime.enter();
    ///     deli::spawn(async { "spawned from a plain thread" })
    /// };
    /// assert_eq!(ticket.wait(), Ok("spawned from a plain thread"));
    /// assert!(deli::Handle::try_current().is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _context: context::enter(&self.handle),
            _runtime: PhantomData,
        }
    }

    /// Shuts down now, waiting at most `timeout` for what still runs: see
    /// the type's docs. A worker stuck inside a task's poll (a task that
    /// blocks and never returns) and blocking calls still running after
    /// `timeout` are left behind — their threads exit on their own when the
    /// call returns — where dropping the runtime would wait for them.
    /// Returns whether everything stopped in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let runtime = deli::Runtime::new()?;
    /// let pending = runtime.spawn(std::future::pending::<()>());
    /// assert!(runtime.shutdown_timeout(Duration::from_secs(1)));
    /// assert_eq!(pending.wait_blocking(), Err(deli::JobError::Shutdown));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) -> bool {
        // A timeout too long for `Instant` is no deadline at all.
        self.shutdown(Instant::now().checked_add(timeout), timeout)
    }

    /// Shuts down, waiting for the workers until `deadline` (without one:
    /// for as long as they take), then for blocking calls until `deadline`
    /// (without one: for `blocking_wait`).
    fn shutdown(&mut self, deadline: Option<Instant>, blocking_wait: Duration) -> bool {
        if std::mem::replace(&mut self.shut_down, true) {
            return true;
        }
        // First: no snapshot is taken of a runtime going away, and the
        // socket file is gone by the time shutdown returns.
        drop(self.inspect.take());
        let workers = std::mem::take(&mut self.workers);
        let workers_exited = self.handle.shutdown(workers, deadline);
        let blocking_wait = deadline.map_or(blocking_wait, |deadline| {
            deadline.saturating_duration_since(Instant::now())
        });
        let blocking_exited = self.handle.blocking().shutdown(blocking_wait);
        workers_exited && blocking_exited
    }
}

/// Keeps a runtime current on this thread: see [`Runtime::enter`]. Not
/// `Send`: it restores this thread's previous runtime when dropped.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::new()?;
/// let guard: deli::runtime::EnterGuard<'_> = runtime.enter();
/// assert!(deli::Handle::try_current().is_some());
/// drop(guard);
/// assert!(deli::Handle::try_current().is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _context: context::EnterGuard,
    /// Borrows the runtime (it cannot shut down under the guard) and is
    /// not `Send` (the context is this thread's).
    _runtime: PhantomData<(&'a Runtime, *const ())>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None, Duration::ZERO);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .field("workers", &self.workers.len())
            .finish()
    }
}

/// Builds a multi-thread runtime, runs `future` on it to completion, shuts
/// the runtime down and returns the output. The quickest way in.
///
/// # Panics
///
/// If the runtime cannot be built (the OS refuses threads or an event
/// queue): there is nothing to run on.
///
/// # Examples
///
/// ```
/// let sum = deli::run(async {
///     let a = deli::spawn(async { 1 });
///     let b = deli::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// ```
pub fn run<F: Future>(future: F) -> F::Output {
    match Runtime::new() {
        Ok(runtime) => runtime.block_on(future),
        Err(error) => panic!("deli::run: cannot build a runtime: {error}"),
    }
}

/// Spawns a task onto the current runtime and returns its [`Ticket`].
///
/// Called outside a runtime, nothing can run the future: it is dropped,
/// the ticket resolves to [`JobError::NoRuntime`], and so that a
/// fire-and-forget spawn does not vanish unheard, a `tracing` warning
/// names the call site every time (and the first one in the process is
/// also printed to standard error). Where "no runtime" is an expected case,
/// [`try_spawn`] says so in its result instead, and hands the future back.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let ticket = deli::spawn(async { "hello" });
///     assert_eq!(ticket.await, Ok("hello"));
/// });
/// assert_eq!(deli::spawn(async {}).wait_blocking(), Err(deli::JobError::NoRuntime));
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> Ticket<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let options = TaskOptions::here();
    match spawn_here(future, options) {
        Ok(ticket) => ticket,
        Err(_unspawned) => {
            no_runtime(std::panic::Location::caller());
            Ticket::failed(JobError::NoRuntime)
        }
    }
}

/// Spawns a task onto the current runtime, or, outside one, gives the
/// future back in a [`SpawnError`] — nothing is dropped or logged.
///
/// # Examples
///
/// ```
/// // Outside a runtime: the future comes back.
/// let future = match deli::try_spawn(async { 2 + 2 }) {
///     Ok(_ticket) => unreachable!("no runtime here"),
///     Err(error) => error.into_future(),
/// };
/// assert_eq!(deli::run(future), 4);
///
/// // Inside one: a ticket, as from `spawn`.
/// deli::run(async {
///     let ticket = deli::try_spawn(async { 5 }).unwrap();
///     assert_eq!(ticket.await, Ok(5));
/// });
/// ```
#[track_caller]
pub fn try_spawn<F>(future: F) -> Result<Ticket<F::Output>, SpawnError<F>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_here(future, TaskOptions::here())
}

fn spawn_here<F>(future: F, options: TaskOptions) -> Result<Ticket<F::Output>, SpawnError<F>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut future = Some(future);
    let spawned = context::with_current(|handle| {
        future
            .take()
            .map(|future| handle.spawn_with(future, options))
    })
    .flatten();
    match (spawned, future) {
        (Some(ticket), _) => Ok(ticket),
        (None, Some(future)) => Err(SpawnError::new(future)),
        // Not reached: a closure that took the future returned its ticket.
        (None, None) => Ok(Ticket::failed(JobError::NoRuntime)),
    }
}

/// Reports a `spawn` that found no runtime: a `tracing` warning each time,
/// standard error the first time in the process.
fn no_runtime(at: &'static std::panic::Location<'static>) {
    static TOLD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    tracing::warn!(
        spawned_at = %at,
        "deli::spawn outside a deli runtime: the future was dropped unrun"
    );
    if !TOLD.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "deli: spawn at {at} outside a deli runtime: the future was dropped unrun \
             (its ticket says NoRuntime; use deli::try_spawn to handle this case)"
        );
    }
}

/// Runs a blocking call on the current runtime's blocking pool (or a
/// process-wide one outside any runtime), off the async workers, and
/// returns its [`Ticket`]. A panic in `f` resolves the ticket to
/// [`JobError::Panicked`].
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let size = deli::spawn_blocking(|| std::fs::read("Cargo.toml").map(|b| b.len()));
///     assert!(size.await.unwrap().unwrap() > 0);
/// });
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> Ticket<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let options = TaskOptions::here();
    let pool: BlockingPool = context::with_current(|handle| handle.blocking().clone())
        .unwrap_or_else(|| BlockingPool::global().clone());
    pool.spawn_with(f, options)
}

/// The current runtime's metrics and live tasks as text: a summary line,
/// one line per worker, one line per task (id, state, time in it, name,
/// spawn location). For a quick look from inside a program — a debug
/// endpoint, a signal handler's task, a test that hangs. Outside a runtime
/// it says so instead.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let _worker = deli::TaskBuilder::new().name("poller").spawn(std::future::pending::<()>());
///     let text = deli::dump();
///     assert!(text.contains("poller"));
///     assert!(text.contains("worker 0"));
/// });
/// assert!(deli::dump().contains("no deli runtime"));
/// ```
pub fn dump() -> String {
    context::with_current(|handle| handle.snapshot().to_string())
        .unwrap_or_else(|| "deli::dump: no deli runtime on this thread\n".to_owned())
}
