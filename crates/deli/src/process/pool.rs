//! [`ProcessPool`], its builder, and submitting jobs to it.

use std::ffi::OsString;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::driver::Driver;
use super::map::{ProcessMap, ProcessMapUnordered};
use super::protocol::request_head;
use super::registry::Job;
use super::shared::{Config, QueuedJob, Shared, StartHook};
use super::slot::{decode_postcard, keep_bytes, Decode, JobFuture, ResultSlot};
use super::spawn::{current_executable, ChildSpec};
use crate::poison::IgnorePoison;
use crate::task::{
    schedule_through_header, spawn_unscheduled_fallible, CancelHandle, JobError, Scheduler, TaskId,
    TaskKind, TaskOptions, Ticket,
};

/// The largest frame either side accepts unless told otherwise.
const DEFAULT_FRAME_LIMIT: usize = 256 * 1024 * 1024;

/// Why a [`ProcessPool`] could not be built.
///
/// # Examples
///
/// ```
/// deli::process::init();
/// match deli::process::ProcessPool::new(0) {
///     Err(deli::process::ProcessError::NoWorkers) => {}
///     other => panic!("unexpected {other:?}"),
/// }
/// let error = deli::process::ProcessPool::builder().max_frame_bytes(1).build().unwrap_err();
/// assert!(matches!(error, deli::process::ProcessError::Invalid(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// `main` did not call [`deli::process::init()`](super::init) first, so
    /// a re-executed child would run `main` again instead of serving jobs.
    #[error(
        "deli::process::init() must be called at the top of main (or use #[deli::main]) \
         before building a ProcessPool"
    )]
    NotInitialized,
    /// Zero workers were asked for (as
    /// [`ThreadPoolError::NoWorkers`](crate::pool::ThreadPoolError::NoWorkers)
    /// for a thread pool).
    #[error("a pool needs at least one worker")]
    NoWorkers,
    /// A frame limit out of range, or an initializer whose arguments
    /// cannot be encoded.
    #[error("invalid process pool settings: {0}")]
    Invalid(String),
    /// The executable or a driver thread could not be found or started.
    #[error("could not start the process pool: {0}")]
    Io(#[from] io::Error),
}

/// Settings for a [`ProcessPool`]; start from [`ProcessPool::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[deli::job]
/// fn square(n: u64) -> u64 {
///     n * n
/// }
///
/// fn main() {
///     deli::process::init();
///     let pool = deli::process::ProcessPool::builder()
///         .workers(2)
///         .timeout(Duration::from_secs(30))
///         .max_jobs_per_child(1_000)
///         .memory_limit(1 << 30)
///         .env("MY_SETTING", "1")
///         .build()
///         .unwrap();
///     assert_eq!(pool.submit(square, 12).wait_blocking(), Ok(144));
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ProcessPoolBuilder {
    workers: usize,
    timeout: Option<Duration>,
    max_jobs_per_child: Option<u64>,
    initializer: Option<Result<Vec<u8>, String>>,
    memory_limit: Option<u64>,
    env: Vec<(OsString, OsString)>,
    frame_limit: usize,
    /// A given program for the children instead of this executable.
    program: Option<(PathBuf, Vec<OsString>)>,
    on_start: Option<StartHook>,
}

impl ProcessPoolBuilder {
    crate::setters::setters! {
        /// How many worker processes run at once (default: one per core).
        pub fn workers(mut self, workers: usize) => self.workers = workers;

        /// Each job may run this long; past it, its child is killed and its
        /// ticket says [`JobError::TimedOut`].
        pub fn timeout(mut self, timeout: Duration) => self.timeout = Some(timeout);

        /// Replace each child after it has run this many jobs.
        pub fn max_jobs_per_child(mut self, jobs: u64) =>
            self.max_jobs_per_child = Some(jobs.max(1));
    }

    /// A job every child runs once, before any other. If it fails, that
    /// child is discarded and one waiting job fails with
    /// [`JobError::WorkerDied`] saying why.
    /// It may take the pool's [`timeout`](ProcessPoolBuilder::timeout) or
    /// 60 s, whichever is longer: a child's start-up counts against it,
    /// never against the first job.
    pub fn initializer<A: Serialize, R>(mut self, job: Job<A, R>, arguments: A) -> Self {
        self.initializer = Some(encode_request(job.name(), &arguments).map_err(|e| e.to_string()));
        self
    }

    crate::setters::setters! {
        /// The address-space limit of each child, in bytes (`RLIMIT_AS`): a job
        /// that allocates past it kills its child (`WorkerDied`), not the pool.
        pub fn memory_limit(mut self, bytes: u64) => self.memory_limit = Some(bytes);
    }

    /// Children run `path args…` instead of re-executing this binary: a
    /// worker written in any language that speaks the frames documented in
    /// [the protocol](crate::process#the-frame-protocol) on fds 3 and 4
    /// (deli's Python package runs `python -m deli._worker`). Jobs for it
    /// are sent with [`ProcessPool::submit_raw`]; the parent does not need
    /// [`init`](super::init).
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn add(a: u32, b: u32) -> u32 {
    ///     a + b
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     // Any program that speaks the frames; here, this one (a Python
    ///     // pool gives `python3` and `["-m", "deli._worker"]`).
    ///     let program = std::env::current_exe().unwrap();
    ///     let pool = deli::process::ProcessPool::builder()
    ///         .workers(1)
    ///         .program(program, ["--any", "arguments"])
    ///         .build()
    ///         .unwrap();
    ///     let request = postcard::to_stdvec(&(2u32, 3u32)).unwrap();
    ///     let reply = pool.submit_raw(add.name(), request).wait_blocking().unwrap();
    ///     assert_eq!(postcard::from_bytes::<u32>(&reply).unwrap(), 5);
    /// }
    /// ```
    pub fn program<I, S>(mut self, path: impl Into<PathBuf>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.program = Some((path.into(), args.into_iter().map(Into::into).collect()));
        self
    }

    /// An initializer given as a raw request (job name and payload bytes),
    /// for a [`program`](ProcessPoolBuilder::program) worker: every child
    /// runs it once before any other job, with the rules of
    /// [`initializer`](ProcessPoolBuilder::initializer).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = deli::process::ProcessPool::builder().initializer_raw("setup", b"config".to_vec());
    /// # drop(builder);
    /// ```
    pub fn initializer_raw(mut self, job_name: &str, payload: Vec<u8>) -> Self {
        self.initializer = Some(
            request_head(job_name)
                .map(|mut request| {
                    request.extend_from_slice(&payload);
                    request
                })
                .map_err(|e| e.to_string()),
        );
        self
    }

    crate::setters::setters! {
        /// Sets an environment variable in every child.
        pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) =>
            self.env.push((key.into(), value.into()));
    }

    /// Calls `hook` with a job's id (its ticket's [`id`](Ticket::id)) when
    /// the job starts running in a child: when it is written to an idle
    /// child, or when the job sent ahead of it to the same child has
    /// answered. It runs on the pool's driver thread for that child, before
    /// the job can end, and should return quickly (record the id and go).
    /// A job whose child is killed by another job's cancel may start again
    /// in a new child, and is then reported again. Bindings use it to tell
    /// a running job from a queued one (deli's Python `Future.running()`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// #[deli::job]
    /// fn one() -> u8 {
    ///     1
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let started = Arc::new(Mutex::new(Vec::new()));
    ///     let seen = started.clone();
    ///     let pool = deli::process::ProcessPool::builder()
    ///         .workers(1)
    ///         .on_job_start(move |id| seen.lock().unwrap().push(id))
    ///         .build()
    ///         .unwrap();
    ///     let ticket = pool.submit(one, ());
    ///     let id = ticket.id();
    ///     assert_eq!(ticket.wait_blocking(), Ok(1));
    ///     assert_eq!(*started.lock().unwrap(), [id]);
    /// }
    /// ```
    pub fn on_job_start(mut self, hook: impl Fn(TaskId) + Send + Sync + 'static) -> Self {
        self.on_start = Some(StartHook(Arc::new(hook)));
        self
    }

    crate::setters::setters! {
        /// The largest request or reply frame, in bytes (default 256 MiB). A
        /// child sending a bigger one is killed and its job fails.
        pub fn max_frame_bytes(mut self, bytes: usize) => self.frame_limit = bytes;
    }

    /// Starts the pool: one driver thread and one child per worker.
    pub fn build(self) -> Result<ProcessPool, ProcessError> {
        if self.workers == 0 {
            return Err(ProcessError::NoWorkers);
        }
        if self.program.is_none() && !super::is_initialized() {
            return Err(ProcessError::NotInitialized);
        }
        if self.frame_limit < 64 || self.frame_limit > u32::MAX as usize {
            return Err(ProcessError::Invalid(format!(
                "frame limit {} is not between 64 bytes and 4 GiB",
                self.frame_limit
            )));
        }
        let initializer = self
            .initializer
            .transpose()
            .map_err(ProcessError::Invalid)?;
        let (executable, args) = match self.program {
            Some(program) => program,
            None => (current_executable()?, Vec::new()),
        };
        let config = Config {
            child: ChildSpec {
                executable,
                args,
                env: self.env,
                memory_limit: self.memory_limit,
                frame_limit: self.frame_limit,
            },
            timeout: self.timeout,
            max_jobs_per_child: self.max_jobs_per_child,
            initializer,
            on_start: self.on_start,
        };
        let shared = Arc::new(Shared::new(self.workers, config));
        let pool = ProcessPool {
            shared,
            workers: self.workers,
            drivers: Mutex::new(Vec::with_capacity(self.workers)),
        };
        for index in 0..self.workers {
            let driver = Driver::new(pool.shared.clone(), index);
            let thread = std::thread::Builder::new()
                .name(format!("deli-process-{index}"))
                .spawn(move || driver.run())?;
            pool.drivers.lock().ignore_poison().push(thread);
        }
        Ok(pool)
    }
}

pub(super) fn encode_request<A: Serialize>(name: &str, arguments: &A) -> Result<Vec<u8>, JobError> {
    let head = request_head(name)?;
    postcard::to_extend(arguments, head).map_err(|error| {
        JobError::Remote(format!("the job's arguments could not be encoded: {error}"))
    })
}

/// A pool of worker processes running `#[deli::job]` functions: true
/// parallelism, and isolation from jobs that crash, abort, leak or hang.
///
/// Every job gets a [`Ticket`], like any other deli work. A child that
/// dies fails only the job it held ([`JobError::WorkerDied`]) and is
/// replaced; a job past its timeout or cancelled while it runs has its
/// child killed and replaced.
///
/// The same shape as [`ThreadPool`](crate::ThreadPool): `new(workers)`
/// returns a `Result` and refuses 0, [`shutdown(wait,
/// cancel_pending)`](ProcessPool::shutdown), and dropping the pool is
/// `shutdown(true, false)`: the queue and the running jobs finish, then the
/// children end and are reaped. [`terminate`](ProcessPool::terminate) stops
/// at once instead: what is queued or running fails with
/// [`JobError::Shutdown`] and every child is killed and reaped.
///
/// # Examples
///
/// ```
/// #[deli::job]
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// #[deli::job]
/// fn parse(text: String) -> Result<u64, std::num::ParseIntError> {
///     text.parse()
/// }
///
/// fn main() {
///     deli::process::init();
///     let pool = deli::process::ProcessPool::new(2).unwrap();
///     assert_eq!(pool.submit(add, (2, 3)).wait_blocking(), Ok(5));
///     assert!(matches!(pool.submit(parse, "x".into()).wait_blocking(), Err(deli::JobError::Remote(_))));
///     let sums: Vec<_> = pool.map(add, (0..4).map(|n| (n, n))).collect();
///     assert_eq!(sums, [Ok(0), Ok(2), Ok(4), Ok(6)]);
///     pool.shutdown(true, false);
/// }
/// ```
#[derive(Debug)]
pub struct ProcessPool {
    shared: Arc<Shared>,
    workers: usize,
    drivers: Mutex<Vec<JoinHandle<()>>>,
}

impl ProcessPool {
    /// A pool of `workers` processes with default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// // Without `deli::process::init()` at the top of main, building fails
    /// // instead of re-running main in every child.
    /// # if std::env::var_os("DELI_PROCESS_WORKER").is_none() {
    /// assert!(matches!(
    ///     deli::process::ProcessPool::new(2),
    ///     Err(deli::process::ProcessError::NotInitialized)
    /// ));
    /// # }
    /// ```
    pub fn new(workers: usize) -> Result<ProcessPool, ProcessError> {
        ProcessPool::builder().workers(workers).build()
    }

    /// A builder with every setting at its default.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = deli::process::ProcessPool::builder().workers(4);
    /// # drop(builder);
    /// ```
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: None,
            max_jobs_per_child: None,
            initializer: None,
            memory_limit: None,
            env: Vec::new(),
            frame_limit: DEFAULT_FRAME_LIMIT,
            program: None,
            on_start: None,
        }
    }

    /// How many worker processes the pool runs.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::process::init(); // first thing in main
    /// assert_eq!(deli::process::ProcessPool::new(1).unwrap().workers(), 1);
    /// ```
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The largest request or reply frame the pool's children take.
    pub(super) fn frame_limit(&self) -> usize {
        self.shared.config.child.frame_limit
    }

    /// Queues `job(arguments)` for a worker and returns its ticket. The
    /// arguments are encoded now; an argument that cannot be encoded gives
    /// a ticket that already holds [`JobError::Remote`].
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn shout(text: String) -> String {
    ///     text.to_uppercase()
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(1).unwrap();
    ///     assert_eq!(pool.submit(shout, "hi".to_owned()).wait_blocking(), Ok("HI".to_owned()));
    /// }
    /// ```
    #[track_caller]
    pub fn submit<A, R>(&self, job: Job<A, R>, arguments: A) -> Ticket<R>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.submit_wrapped(job, arguments, TaskOptions::here(), |future| future)
            .0
    }

    /// [`submit`](ProcessPool::submit) with the job's future wrapped by
    /// `wrap` inside its task, and a handle that cancels the job without its
    /// ticket (for scopes, which watch how their children end).
    pub(crate) fn submit_wrapped<A, R, W, F>(
        &self,
        job: Job<A, R>,
        arguments: A,
        options: TaskOptions,
        wrap: W,
    ) -> (Ticket<R>, Option<CancelHandle>)
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
        W: FnOnce(JobFuture<R>) -> F,
        F: Future<Output = Result<R, JobError>> + Send + 'static,
    {
        match encode_request(job.name(), &arguments) {
            Ok(request) => self.submit_request(request, decode_postcard::<R>, None, options, wrap),
            Err(error) => (Ticket::failed(error), None),
        }
    }

    /// Queues `payload` as the job `job_name` for a worker that speaks the
    /// frames itself (a [`program`](ProcessPoolBuilder::program) worker, or
    /// this executable's `#[deli::job]` registry with postcard-encoded
    /// arguments); the ticket holds the reply's value bytes as they came.
    /// The job's own error and panic replies are [`JobError::Remote`] and
    /// [`JobError::Panicked`]; a dead worker is [`JobError::WorkerDied`].
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn double(n: u32) -> u32 {
    ///     n * 2
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(1).unwrap();
    ///     let name = double.name();
    ///     let value = pool.submit_raw(name, postcard::to_stdvec(&21u32).unwrap()).wait_blocking().unwrap();
    ///     assert_eq!(postcard::from_bytes::<u32>(&value).unwrap(), 42);
    /// }
    /// ```
    #[track_caller]
    pub fn submit_raw(&self, job_name: &str, payload: Vec<u8>) -> Ticket<Vec<u8>> {
        self.submit_raw_with_timeout(job_name, payload, None)
    }

    /// [`submit_raw`](ProcessPool::submit_raw) with this job's own time
    /// limit (`None`: the pool's): past it, counted from when the job
    /// starts running, its child is killed and the ticket says
    /// [`JobError::TimedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// #[deli::job]
    /// fn nap(millis: u64) {
    ///     std::thread::sleep(Duration::from_millis(millis));
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(1).unwrap();
    ///     let name = nap.name();
    ///     let payload = postcard::to_stdvec(&60_000u64).unwrap();
    ///     let ticket = pool.submit_raw_with_timeout(name, payload, Some(Duration::from_millis(50)));
    ///     assert_eq!(ticket.wait_blocking(), Err(deli::JobError::TimedOut));
    /// }
    /// ```
    #[track_caller]
    pub fn submit_raw_with_timeout(
        &self,
        job_name: &str,
        payload: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Ticket<Vec<u8>> {
        let request = match request_head(job_name) {
            Ok(mut request) => {
                request.extend_from_slice(&payload);
                request
            }
            Err(error) => return Ticket::failed(error),
        };
        self.submit_request(request, keep_bytes, timeout, TaskOptions::here(), |f| f)
            .0
    }

    /// Queues a whole request frame's payload; the ticket's value is
    /// `decode`d from the reply's bytes.
    pub(super) fn submit_request<R, W, F>(
        &self,
        request: Vec<u8>,
        decode: Decode<R>,
        timeout: Option<Duration>,
        options: TaskOptions,
        wrap: W,
    ) -> (Ticket<R>, Option<CancelHandle>)
    where
        R: Send + 'static,
        W: FnOnce(JobFuture<R>) -> F,
        F: Future<Output = Result<R, JobError>> + Send + 'static,
    {
        if request.len() > self.shared.config.child.frame_limit {
            let error = JobError::Remote(format!(
                "the job's arguments take {} bytes, over the frame limit",
                request.len()
            ));
            return (Ticket::failed(error), None);
        }
        let slot = Arc::new(ResultSlot::default());
        let scheduler: Arc<dyn Scheduler> = self.shared.clone();
        let created = spawn_unscheduled_fallible(
            wrap(JobFuture::<R>::new(slot.clone(), decode)),
            options.kind(TaskKind::Closure),
            scheduler,
            Some(&self.shared.registry),
            schedule_through_header,
        );
        let (runnable, ticket) = match created {
            Ok(created) => created,
            Err(error) => return (Ticket::failed(error), None),
        };
        let id = runnable.metadata().id;
        let handle = CancelHandle::new(&runnable);
        // The first poll only registers the task's waker with the slot.
        runnable.schedule();
        self.shared.push(QueuedJob {
            id,
            request,
            slot,
            timeout,
        });
        (ticket, Some(handle))
    }

    /// Runs `job` on every input in the children; the results come out
    /// in input order, one `Result` per input: a job's error or panic is
    /// an error at its position, a child that dies fails the items it
    /// held ([`JobError::WorkerDied`]) and nothing else.
    ///
    /// Lazy and bounded, like [`ThreadPool::map`](crate::ThreadPool::map):
    /// inputs are taken (and encoded) only as there is room, at most
    /// [`max_in_flight`](ProcessMap::max_in_flight) requests queued or
    /// running. Several inputs go to one child in one request, which is
    /// what makes many tiny items cheap: by default as many as make about
    /// a millisecond of the child's measured work (slow items go one by
    /// one), or exactly [`chunksize`](ProcessMap::chunksize) (Python's
    /// `chunksize`; `chunksize(1)` isolates every item from a child that
    /// dies holding another). Dropping the iterator cancels what it
    /// has in flight. For results as they finish, see
    /// [`map_unordered`](ProcessPool::map_unordered); for one ticket per
    /// input, call [`submit`](ProcessPool::submit) in a loop.
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn double(n: i32) -> i32 {
    ///     if n == 2 {
    ///         panic!("two is right out");
    ///     }
    ///     n * 2
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(2).unwrap();
    ///     let results: Vec<_> = pool.map(double, [1, 2, 3]).collect();
    ///     assert_eq!(results[0], Ok(2));
    ///     assert!(matches!(&results[1], Err(deli::JobError::Panicked(m)) if m.message().contains("right out")));
    ///     assert_eq!(results[2], Ok(6));
    ///     // Many small items: sent in chunks sized by their measured cost.
    ///     let total: i64 = pool.map(double, 3..10_003).map(|r| r.unwrap() as i64).sum();
    ///     assert_eq!(total, 100_050_000);
    /// }
    /// ```
    #[track_caller]
    pub fn map<A, R, I>(&self, job: Job<A, R>, inputs: I) -> ProcessMap<'_, A, R, I::IntoIter>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
        I: IntoIterator<Item = A>,
    {
        ProcessMap::new(self, job, inputs.into_iter(), TaskOptions::here())
    }

    /// [`map`](ProcessPool::map) with results as they finish rather than
    /// in input order: `(index, result)` per input, where `index` is the
    /// input's position (Python's `imap_unordered`). Takes
    /// [`chunksize`](ProcessMapUnordered::chunksize) and
    /// [`max_in_flight`](ProcessMapUnordered::max_in_flight) too.
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn square(n: u64) -> u64 {
    ///     n * n
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(2).unwrap();
    ///     let mut squares: Vec<_> = pool.map_unordered(square, 0..5).collect();
    ///     squares.sort_by_key(|(index, _)| *index);
    ///     let values: Vec<u64> = squares.into_iter().map(|(_, r)| r.unwrap()).collect();
    ///     assert_eq!(values, [0, 1, 4, 9, 16]);
    /// }
    /// ```
    #[track_caller]
    pub fn map_unordered<A, R, I>(
        &self,
        job: Job<A, R>,
        inputs: I,
    ) -> ProcessMapUnordered<'_, A, R, I::IntoIter>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
        I: IntoIterator<Item = A>,
    {
        ProcessMapUnordered::new(self, job, inputs.into_iter(), TaskOptions::here())
    }

    /// Cancels every job still waiting in the queue (their tickets say
    /// [`JobError::Cancelled`]) and returns how many; jobs already sent to
    /// a child go on. What `shutdown(cancel_futures=True)` does in Python.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// #[deli::job]
    /// fn nap(millis: u64) {
    ///     std::thread::sleep(Duration::from_millis(millis));
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(1).unwrap();
    ///     let tickets: Vec<_> = (0..4).map(|_| pool.submit(nap, 200)).collect();
    ///     std::thread::sleep(Duration::from_millis(50));
    ///     assert!(pool.cancel_queued() >= 1);
    ///     let cancelled = tickets.into_iter().filter(|t| t.is_done()).count();
    ///     assert!(cancelled >= 1);
    /// }
    /// ```
    pub fn cancel_queued(&self) -> usize {
        self.shared.cancel_queued()
    }

    /// Stops taking jobs: later submits resolve to
    /// [`JobError::Shutdown`]. The same signature and meaning as
    /// [`ThreadPool::shutdown`](crate::ThreadPool::shutdown) (and Python's
    /// `Executor.shutdown(wait, cancel_futures)`).
    ///
    /// With `cancel_pending`, jobs still queued are dropped unrun and their
    /// tickets resolve to [`JobError::Cancelled`]; otherwise the children
    /// run them first. Running jobs always finish. Then the children end.
    /// With `wait`, returns once every child has ended and been reaped.
    /// Calling it again is harmless. To stop *now*, killing the children
    /// and failing queued and running jobs, use
    /// [`terminate`](ProcessPool::terminate).
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn one() -> u8 {
    ///     1
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(1).unwrap();
    ///     let ticket = pool.submit(one, ());
    ///     pool.shutdown(true, false);
    ///     assert_eq!(ticket.wait_blocking(), Ok(1));
    ///     assert_eq!(pool.submit(one, ()).wait_blocking(), Err(deli::JobError::Shutdown));
    /// }
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_pending: bool) {
        self.shared.drain();
        if cancel_pending {
            self.shared.cancel_queued();
        }
        if wait {
            self.join_drivers();
        }
    }

    /// Stops at once: queued jobs and running ones fail with
    /// [`JobError::Shutdown`], the children are killed, and this returns
    /// once they are reaped. (A thread pool has no such method: a thread
    /// cannot be killed.)
    ///
    /// # Examples
    ///
    /// ```
    /// #[deli::job]
    /// fn nap(millis: u64) {
    ///     std::thread::sleep(std::time::Duration::from_millis(millis));
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::process::ProcessPool::new(1).unwrap();
    ///     let running = pool.submit(nap, 60_000);
    ///     pool.terminate();
    ///     assert_eq!(running.wait_blocking(), Err(deli::JobError::Shutdown));
    /// }
    /// ```
    pub fn terminate(&self) {
        self.shared.close();
        self.join_drivers();
    }

    fn join_drivers(&self) {
        // Held while joining: a second caller waits here until the drivers
        // have ended, instead of finding the list empty and returning early.
        let mut drivers = self.drivers.lock().ignore_poison();
        for driver in drivers.drain(..) {
            // A driver that panicked has nothing left to clean up here.
            let _ = driver.join();
        }
    }
}

/// Dropping the pool is [`shutdown(true, false)`](ProcessPool::shutdown),
/// as for a [`ThreadPool`](crate::ThreadPool): queued and running jobs
/// finish, and the drop waits for them;
/// [`terminate`](ProcessPool::terminate) first to stop at once.
impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}
