//! [`ClusterPool`]: submitting jobs to workers anywhere, through Redis, and
//! the threads that bring their outcomes back into tickets.
//!
//! A job's ticket is a task cell whose future waits on the same result
//! slot a process job uses. Three threads per pool talk to Redis, each on
//! its own connection: the caller's submissions go out on a shared one;
//! the *listener* reads this client's outcome stream (`XREAD BLOCK`),
//! fills slots, polls the result keys of attached jobs, fails jobs no
//! worker serves, and fails everything waiting when Redis has been gone
//! too long; the *canceller* sets cancel keys, so a `cancel()` from async
//! code never waits on the network.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis::streams::StreamReadReply;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::keys::{unique_name, Keys};
use super::link::Link;
use super::wire::{self, FIELD_ARGUMENTS, FIELD_JOB, FIELD_OUTCOME, FIELD_REPLY};
use super::ClusterError;
use crate::poison::IgnorePoison;
use crate::process::{decode_postcard, Job, JobFuture, ResultSlot};
use crate::task::{
    schedule_through_header, spawn_unscheduled_fallible, CancelHandle, Header, JobError,
    OwnedTasks, Runnable, Scheduler, TaskId, TaskKind, TaskOptions, Ticket,
};
use crate::trace::JobKind;

/// How long the listener blocks in one read; also how often it looks
/// after deadlines and attached jobs.
const LISTEN_BLOCK: Duration = Duration::from_millis(200);
/// Submissions in one pipeline when mapping.
const MAP_BATCH: usize = 512;

/// A job's id across the cluster: its result key and its cancel key are
/// named after it.
///
/// # Examples
///
/// ```
/// let id = deli::cluster::JobId::from("c1-7".to_owned());
/// assert_eq!(id.as_str(), "c1-7");
/// assert_eq!(id.to_string(), "c1-7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobId(String);

impl JobId {
    /// The id as text.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = deli::cluster::JobId::from("j".to_owned());
    /// assert_eq!(id.as_str(), "j");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for JobId {
    fn from(id: String) -> JobId {
        JobId(id)
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Settings for a [`ClusterPool`]; start from [`ClusterPool::builder`].
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
///
/// let pool = deli::cluster::ClusterPool::builder("redis://127.0.0.1:6379/0")
///     .namespace("deli")
///     .max_retries(2)
///     .timeout(Duration::from_secs(60))
///     .no_worker_deadline(Duration::from_secs(30))
///     .result_ttl(Duration::from_secs(3600))
///     .broker_timeout(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// # drop(pool);
/// ```
#[derive(Debug, Clone)]
pub struct ClusterPoolBuilder {
    url: String,
    namespace: String,
    max_retries: u32,
    timeout: Option<Duration>,
    no_worker_deadline: Duration,
    result_ttl: Duration,
    broker_timeout: Duration,
    connect_timeout: Duration,
}

impl ClusterPoolBuilder {
    crate::setters::setters! {
        /// The prefix of every key (default `deli`); clients and workers must
        /// agree on it.
        pub fn namespace(mut self, namespace: impl Into<String>) =>
            self.namespace = namespace.into();

        /// How many times a job whose worker died is run again on another
        /// worker (default 2); the start after that fails the ticket with
        /// [`JobError::WorkerDied`].
        pub fn max_retries(mut self, retries: u32) => self.max_retries = retries;

        /// Each job may run this long on its worker; past it its child is
        /// killed and the ticket says [`JobError::TimedOut`] (default: no
        /// limit).
        pub fn timeout(mut self, timeout: Duration) => self.timeout = Some(timeout);

        /// A job that has waited this long while no live worker advertises its
        /// name fails with [`JobError::NoWorker`] (default 30 s).
        pub fn no_worker_deadline(mut self, deadline: Duration) =>
            self.no_worker_deadline = deadline;

        /// How long outcomes are kept in Redis for [`ClusterPool::attach`]
        /// (default one hour).
        pub fn result_ttl(mut self, ttl: Duration) => self.result_ttl = ttl;

        /// Waiting tickets fail once Redis has been unreachable this long
        /// (default 30 s); until then the pool reconnects with backoff.
        pub fn broker_timeout(mut self, timeout: Duration) => self.broker_timeout = timeout;

        /// How long one connection attempt may take (default 2 s).
        pub fn connect_timeout(mut self, timeout: Duration) => self.connect_timeout = timeout;
    }

    /// Connects to Redis and starts the pool's threads.
    pub fn build(self) -> Result<ClusterPool, ClusterError> {
        if self.connect_timeout.is_zero() || self.result_ttl < Duration::from_secs(1) {
            return Err(ClusterError::Invalid(
                "the connect timeout must be positive and the result expiry at least 1 s".into(),
            ));
        }
        if self.timeout.is_some_and(|timeout| timeout.is_zero()) {
            return Err(ClusterError::Invalid("a zero job timeout".into()));
        }
        let client =
            redis::Client::open(self.url.as_str()).map_err(|e| ClusterError::Url(e.to_string()))?;
        // Fail now, with a typed error, when Redis is not there at all.
        let mut submitter = Link::new(client.clone(), self.connect_timeout);
        submitter.query::<String>(&redis::cmd("PING"), Duration::ZERO)?;
        let client_id = unique_name("c");
        let keys = Keys::new(&self.namespace);
        let (cancels, cancel_queue) = mpsc::channel();
        let shared = Arc::new(ClientShared {
            done_stream: keys.done(&client_id),
            keys,
            config: self.clone(),
            submitter: Mutex::new(submitter),
            pending: Mutex::new(Pending::default()),
            registry: OwnedTasks::new(1),
            cancels: Mutex::new(Some(cancels)),
            closed: AtomicBool::new(false),
        });
        let listener = {
            let shared = shared.clone();
            let link = Link::new(client.clone(), self.connect_timeout);
            std::thread::Builder::new()
                .name("deli-cluster-listen".into())
                .spawn(move || listen(&shared, link))
                .map_err(|e| ClusterError::Invalid(format!("cannot start a thread: {e}")))?
        };
        let canceller = {
            let shared = shared.clone();
            let link = Link::new(client, self.connect_timeout);
            std::thread::Builder::new()
                .name("deli-cluster-cancel".into())
                .spawn(move || send_cancels(&shared, link, cancel_queue))
                .map_err(|e| ClusterError::Invalid(format!("cannot start a thread: {e}")))?
        };
        Ok(ClusterPool {
            shared,
            threads: vec![listener, canceller],
        })
    }
}

/// A job this client waits for.
#[derive(Debug)]
struct PendingJob {
    slot: Arc<ResultSlot>,
    task: Option<TaskId>,
    /// The job's name, stream and entry, for the no-worker check; `None`
    /// for an attached job, which is only looked up by its result key.
    entry: Option<(String, String)>,
    since: Instant,
}

#[derive(Debug, Default)]
struct Pending {
    jobs: HashMap<String, PendingJob>,
    by_task: HashMap<TaskId, String>,
}

impl Pending {
    fn finish(&mut self, job: &str) -> Option<PendingJob> {
        let pending = self.jobs.remove(job)?;
        if let Some(task) = pending.task {
            self.by_task.remove(&task);
        }
        Some(pending)
    }
}

#[derive(Debug)]
pub(crate) struct ClientShared {
    keys: Keys,
    done_stream: String,
    config: ClusterPoolBuilder,
    submitter: Mutex<Link>,
    pending: Mutex<Pending>,
    registry: OwnedTasks,
    cancels: Mutex<Option<mpsc::Sender<String>>>,
    closed: AtomicBool,
}

impl ClientShared {
    fn pending(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().ignore_poison()
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Completes `job`'s ticket, if this client still waits for it.
    fn complete(&self, job: &str, outcome: Result<Vec<u8>, JobError>) {
        let finished = self.pending().finish(job);
        if let Some(pending) = finished {
            pending.slot.complete(outcome);
        }
    }

    /// The command that queues one job.
    fn xadd(&self, job_name: &str, job: &str, arguments: &[u8]) -> redis::Cmd {
        let mut command = redis::cmd("XADD");
        command
            .arg(self.keys.jobs(job_name))
            .arg("*")
            .arg(FIELD_JOB)
            .arg(job)
            .arg(FIELD_ARGUMENTS)
            .arg(arguments)
            .arg(FIELD_REPLY)
            .arg(&self.done_stream)
            .arg(wire::FIELD_TIMEOUT)
            .arg(
                self.config
                    .timeout
                    .map_or(0, |t| t.as_millis().max(1) as u64),
            )
            .arg(wire::FIELD_RETRIES)
            .arg(self.config.max_retries);
        command
    }
}

impl Scheduler for ClientShared {
    fn registry(&self) -> Option<&OwnedTasks> {
        Some(&self.registry)
    }

    fn job_kind(&self) -> JobKind {
        JobKind::Process
    }

    fn wake_for_cancel(&self, header: &Header) {
        // The ticket resolves to Cancelled at once; the worker learns of it
        // through the cancel key, set by the canceller thread so that this
        // call never waits on the network.
        self.registry.wake(header);
        let job = self.pending().by_task.get(&header.id).cloned();
        if let Some(job) = job {
            self.complete(&job, Err(JobError::Cancelled));
            let cancels = self.cancels.lock().ignore_poison();
            if let Some(cancels) = cancels.as_ref() {
                // The canceller has gone only when the pool is dropped.
                let _ = cancels.send(job);
            }
        }
    }

    fn schedule_remote(&self, task: Runnable) {
        // A job task only wakes to take its result or see a cancel.
        task.run();
    }
}

/// A client of deli's cluster: submits `#[deli::job]` functions to the
/// workers of any machine reading the same Redis, and gives a [`Ticket`]
/// for each.
///
/// Tickets work like those of a [`ProcessPool`](crate::ProcessPool):
/// `wait`, `.await`, `cancel` (which reaches the running worker and kills
/// the job's child), [`as_completed`](crate::as_completed),
/// [`wait_blocking`](crate::wait_blocking()) and scopes. Dropping the pool fails the tickets
/// still waiting with [`JobError::Shutdown`]; their jobs go on, and their
/// outcomes can be read later with [`attach`](ClusterPool::attach). See
/// [the module doc](super) for what is guaranteed.
///
/// # Examples
///
/// ```no_run
/// #[deli::job]
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// fn main() {
///     deli::process::init();
///     let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
///     assert_eq!(pool.submit(add, (2, 3)).wait_blocking(), Ok(5));
///     let sums: Vec<_> = pool.map(add, [(1, 1), (2, 2)]).into_iter().map(|t| t.wait_blocking()).collect();
///     assert_eq!(sums, [Ok(2), Ok(4)]);
/// }
/// ```
///
/// [`Ticket`]: crate::Ticket
#[derive(Debug)]
pub struct ClusterPool {
    shared: Arc<ClientShared>,
    threads: Vec<JoinHandle<()>>,
}

impl ClusterPool {
    /// Connects with default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// // A URL that is not Redis's is a typed error, not a panic.
    /// assert!(matches!(
    ///     deli::cluster::ClusterPool::connect("http://example.invalid"),
    ///     Err(deli::cluster::ClusterError::Url(_))
    /// ));
    /// ```
    pub fn connect(url: &str) -> Result<ClusterPool, ClusterError> {
        ClusterPool::builder(url).build()
    }

    /// A builder for a pool on the Redis at `url`, every setting at its
    /// default.
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = deli::cluster::ClusterPool::builder("redis://127.0.0.1:6379/0").max_retries(0);
    /// # drop(builder);
    /// ```
    pub fn builder(url: &str) -> ClusterPoolBuilder {
        ClusterPoolBuilder {
            url: url.to_owned(),
            namespace: "deli".to_owned(),
            max_retries: 2,
            timeout: None,
            no_worker_deadline: Duration::from_secs(30),
            result_ttl: Duration::from_secs(3600),
            broker_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(2),
        }
    }

    /// Queues `job(arguments)` for a worker of the cluster and returns its
    /// ticket. A submission that cannot reach Redis gives a ticket that
    /// already holds [`JobError::Broker`], one whose arguments cannot be
    /// encoded [`JobError::Remote`] with the reason;
    /// [`try_submit`](ClusterPool::try_submit) returns either as a
    /// [`ClusterError`] instead.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// #[deli::job]
    /// fn shout(text: String) -> String {
    ///     text.to_uppercase()
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
    ///     assert_eq!(pool.submit(shout, "hi".into()).wait_blocking(), Ok("HI".to_owned()));
    /// }
    /// ```
    #[track_caller]
    pub fn submit<A, R>(&self, job: Job<A, R>, arguments: A) -> Ticket<R>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        self.submit_by_name(job.name(), &arguments)
    }

    /// [`submit`](ClusterPool::submit) that also returns the job's cluster
    /// id, with which any client can [`attach`](ClusterPool::attach) to its
    /// outcome later.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// #[deli::job]
    /// fn one() -> u8 {
    ///     1
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
    ///     let (id, ticket) = pool.try_submit(one, ()).unwrap();
    ///     println!("submitted {id}");
    ///     assert_eq!(ticket.wait_blocking(), Ok(1));
    /// }
    /// ```
    #[track_caller]
    pub fn try_submit<A, R>(
        &self,
        job: Job<A, R>,
        arguments: A,
    ) -> Result<(JobId, Ticket<R>), ClusterError>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
    {
        let arguments = postcard::to_stdvec(&arguments).map_err(|error| {
            ClusterError::Invalid(format!("the job's arguments could not be encoded: {error}"))
        })?;
        let (queued, ticket, _) = self
            .submit_encoded(job.name(), arguments, TaskOptions::here(), |future| future)
            .map_err(|error| ClusterError::Invalid(error.to_string()))?;
        Ok((queued?, ticket))
    }

    /// Queues the job registered as `job_name` in the *workers'* binary,
    /// for a client that does not link that job itself (a worker started
    /// with `deli worker` serves the jobs of the `deli` command).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
    /// let ticket = pool.submit_by_name::<_, String>("deli::jobs::echo", &"hello".to_owned());
    /// assert_eq!(ticket.wait_blocking(), Ok("hello".to_owned()));
    /// ```
    #[track_caller]
    pub fn submit_by_name<A, R>(&self, job_name: &str, arguments: &A) -> Ticket<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned + Send + 'static,
    {
        let arguments = match postcard::to_stdvec(arguments) {
            Ok(arguments) => arguments,
            Err(error) => {
                return Ticket::failed(JobError::Remote(format!(
                    "the job's arguments could not be encoded: {error}"
                )))
            }
        };
        match self.submit_encoded(job_name, arguments, TaskOptions::here(), |future| future) {
            Ok((_, ticket, _)) => ticket,
            Err(error) => Ticket::failed(error),
        }
    }

    /// A ticket for the outcome of a job submitted earlier, by this client
    /// or any other (one that was dropped, or ran in a process that
    /// restarted): its outcome is read from Redis, where it is kept for the
    /// result expiry.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// #[deli::job]
    /// fn one() -> u8 {
    ///     1
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let url = "redis://127.0.0.1:6379/0";
    ///     let (id, _ticket) = deli::cluster::ClusterPool::connect(url).unwrap().try_submit(one, ()).unwrap();
    ///     // Later, from another connection:
    ///     let pool = deli::cluster::ClusterPool::connect(url).unwrap();
    ///     assert_eq!(pool.attach::<u8>(&id).wait_blocking(), Ok(1));
    /// }
    /// ```
    pub fn attach<R>(&self, job: &JobId) -> Ticket<R>
    where
        R: DeserializeOwned + Send + 'static,
    {
        match self.register(job.as_str(), None, TaskOptions::here(), |future| future) {
            Ok((ticket, _, runnable)) => {
                runnable.schedule();
                ticket
            }
            Err(error) => Ticket::failed(error),
        }
    }

    /// Submits `job` once per input, in batches (one round trip to Redis
    /// per few hundred jobs); the tickets are in input order.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// #[deli::job]
    /// fn double(n: i32) -> i32 {
    ///     n * 2
    /// }
    ///
    /// fn main() {
    ///     deli::process::init();
    ///     let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
    ///     let total: i32 = deli::as_completed(pool.map(double, [1, 2, 3]))
    ///         .map(|(_, result)| result.unwrap())
    ///         .sum();
    ///     assert_eq!(total, 12);
    /// }
    /// ```
    #[track_caller]
    pub fn map<A, R, I>(&self, job: Job<A, R>, inputs: I) -> Vec<Ticket<R>>
    where
        A: Serialize,
        R: DeserializeOwned + Send + 'static,
        I: IntoIterator<Item = A>,
    {
        let options = TaskOptions::here();
        let mut tickets = Vec::new();
        let mut batch = Vec::with_capacity(MAP_BATCH);
        let mut inputs = inputs.into_iter().peekable();
        while inputs.peek().is_some() {
            for arguments in inputs.by_ref().take(MAP_BATCH) {
                let index = tickets.len();
                let encoded = match postcard::to_stdvec(&arguments) {
                    Ok(encoded) => encoded,
                    Err(error) => {
                        tickets.push(Ticket::failed(JobError::Remote(format!(
                            "the job's arguments could not be encoded: {error}"
                        ))));
                        continue;
                    }
                };
                let id = self.next_job_id();
                let entry = (job.name().to_owned(), String::new());
                match self.register(&id, Some(entry), options.clone(), |future| future) {
                    Ok((ticket, _, runnable)) => {
                        tickets.push(ticket);
                        batch.push((index, id, encoded, runnable));
                    }
                    Err(error) => tickets.push(Ticket::failed(error)),
                }
            }
            self.send_batch(job.name(), std::mem::take(&mut batch));
        }
        tickets
    }

    /// Queues one pipeline of registered jobs; a failure fails them all.
    fn send_batch(&self, job_name: &str, batch: Vec<(usize, String, Vec<u8>, Runnable)>) {
        if batch.is_empty() {
            return;
        }
        let mut pipeline = redis::pipe();
        for (_, id, encoded, _) in &batch {
            pipeline.add_command(self.shared.xadd(job_name, id, encoded));
        }
        let sent: Result<Vec<String>, _> = self.submitter().pipeline(&pipeline);
        match sent {
            Ok(entries) => {
                let mut pending = self.shared.pending();
                for ((_, id, _, _), entry) in batch.iter().zip(entries) {
                    if let Some(job) = pending.jobs.get_mut(id) {
                        job.entry = Some((job_name.to_owned(), entry));
                    }
                }
            }
            Err(error) => {
                for (_, id, _, _) in &batch {
                    self.shared
                        .complete(id, Err(JobError::Broker(format!("Redis: {error}"))));
                }
            }
        }
        for (_, _, _, runnable) in batch {
            runnable.schedule();
        }
    }

    fn submitter(&self) -> MutexGuard<'_, Link> {
        self.shared.submitter.lock().ignore_poison()
    }

    fn next_job_id(&self) -> String {
        unique_name("j")
    }

    /// Makes a job's task and pending entry (not yet queued in Redis).
    fn register<R, W, F>(
        &self,
        job: &str,
        entry: Option<(String, String)>,
        options: TaskOptions,
        wrap: W,
    ) -> Result<(Ticket<R>, CancelHandle, Runnable), JobError>
    where
        R: DeserializeOwned + Send + 'static,
        W: FnOnce(JobFuture<R>) -> F,
        F: Future<Output = Result<R, JobError>> + Send + 'static,
    {
        if self.shared.is_closed() {
            return Err(JobError::Shutdown);
        }
        let slot = Arc::new(ResultSlot::default());
        let scheduler: Arc<dyn Scheduler> = self.shared.clone();
        let (runnable, ticket) = spawn_unscheduled_fallible(
            wrap(JobFuture::<R>::new(slot.clone(), decode_postcard::<R>)),
            options.kind(TaskKind::Closure),
            scheduler,
            Some(&self.shared.registry),
            schedule_through_header,
        )?;
        let task = runnable.metadata().id;
        let handle = CancelHandle::new(&runnable);
        let mut pending = self.shared.pending();
        pending.jobs.insert(
            job.to_owned(),
            PendingJob {
                slot,
                task: Some(task),
                entry,
                since: Instant::now(),
            },
        );
        pending.by_task.insert(task, job.to_owned());
        Ok((ticket, handle, runnable))
    }

    /// Registers and queues one job with encoded arguments; the ticket's
    /// future is wrapped by `wrap` (for scopes). Once the job's task exists
    /// its ticket comes back even when Redis refused the job: it then
    /// holds that error, and the first part of the answer says why.
    #[allow(clippy::type_complexity)]
    fn submit_encoded<R, W, F>(
        &self,
        job_name: &str,
        arguments: Vec<u8>,
        options: TaskOptions,
        wrap: W,
    ) -> Result<(Result<JobId, ClusterError>, Ticket<R>, CancelHandle), JobError>
    where
        R: DeserializeOwned + Send + 'static,
        W: FnOnce(JobFuture<R>) -> F,
        F: Future<Output = Result<R, JobError>> + Send + 'static,
    {
        let id = self.next_job_id();
        let entry = (job_name.to_owned(), String::new());
        let (ticket, handle, runnable) = self.register(&id, Some(entry), options, wrap)?;
        let command = self.shared.xadd(job_name, &id, &arguments);
        let sent: Result<String, _> = self.submitter().query(&command, Duration::ZERO);
        let queued = match sent {
            Ok(entry) => {
                if let Some(job) = self.shared.pending().jobs.get_mut(&id) {
                    job.entry = Some((job_name.to_owned(), entry));
                }
                Ok(JobId(id))
            }
            Err(error) => {
                self.shared
                    .complete(&id, Err(JobError::Broker(format!("Redis: {error}"))));
                let error = ClusterError::from(error);
                Err(error)
            }
        };
        // The first poll only registers the task's waker with the slot.
        runnable.schedule();
        Ok((queued, ticket, handle))
    }

    /// [`submit`](ClusterPool::submit) with the job's future wrapped by
    /// `wrap` inside its task, and a handle that cancels the job without
    /// its ticket (for scopes).
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
        let arguments = match postcard::to_stdvec(&arguments) {
            Ok(arguments) => arguments,
            Err(error) => {
                let error = format!("the job's arguments could not be encoded: {error}");
                return (Ticket::failed(JobError::Remote(error)), None);
            }
        };
        match self.submit_encoded(job.name(), arguments, options, wrap) {
            // A job Redis refused has a ticket that holds the error: the
            // scope sees it like any failure.
            Ok((_, ticket, handle)) => (ticket, Some(handle)),
            Err(error) => (Ticket::failed(error), None),
        }
    }
}

impl Drop for ClusterPool {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.cancels.lock().ignore_poison().take();
        for thread in self.threads.drain(..) {
            // A thread that panicked has nothing left to clean up.
            let _ = thread.join();
        }
        let waiting: Vec<PendingJob> = {
            let mut pending = self.shared.pending();
            pending.by_task.clear();
            pending.jobs.drain().map(|(_, job)| job).collect()
        };
        for job in waiting {
            job.slot.complete(Err(JobError::Shutdown));
        }
        self.shared.registry.close();
    }
}

/// The listener thread: outcomes in, deadlines and attached jobs checked.
fn listen(shared: &ClientShared, mut link: Link) {
    let mut last_seen = "0-0".to_owned();
    let mut down_since: Option<Instant> = None;
    let mut last_error = String::new();
    while !shared.is_closed() {
        let mut read = redis::cmd("XREAD");
        read.arg("COUNT")
            .arg(1024)
            .arg("BLOCK")
            .arg(LISTEN_BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&shared.done_stream)
            .arg(&last_seen);
        match link.query::<Option<StreamReadReply>>(&read, LISTEN_BLOCK) {
            Ok(reply) => {
                down_since = None;
                for stream in reply.map(|reply| reply.keys).unwrap_or_default() {
                    for entry in stream.ids {
                        let job = wire::text_of(&entry.map, FIELD_JOB);
                        let outcome = entry.map.get(FIELD_OUTCOME).and_then(wire::bytes_of);
                        if let (Some(job), Some(outcome)) = (job, outcome) {
                            shared.complete(&job, wire::decode_outcome(outcome));
                        }
                        last_seen = entry.id;
                    }
                }
                if let Err(error) = look_after_pending(shared, &mut link) {
                    last_error = error.to_string();
                    down_since.get_or_insert_with(Instant::now);
                }
            }
            Err(error) => {
                last_error = error.to_string();
                down_since.get_or_insert_with(Instant::now);
            }
        }
        if let Some(since) = down_since {
            if since.elapsed() >= shared.config.broker_timeout {
                fail_everything(shared, &last_error, since.elapsed());
                down_since = Some(Instant::now());
            }
        }
    }
}

/// Fails every waiting ticket: Redis has been gone for the broker timeout.
fn fail_everything(shared: &ClientShared, error: &str, elapsed: Duration) {
    let waiting: Vec<String> = shared.pending().jobs.keys().cloned().collect();
    for job in waiting {
        shared.complete(
            &job,
            Err(JobError::Broker(format!(
                "Redis has been unreachable for {elapsed:.1?}: {error}"
            ))),
        );
    }
}

/// Attached jobs: their result keys. Jobs that have waited past the
/// no-worker deadline: whether anyone serves their name.
fn look_after_pending(shared: &ClientShared, link: &mut Link) -> redis::RedisResult<()> {
    let (attached, overdue): (Vec<String>, Vec<(String, String, String)>) = {
        let pending = shared.pending();
        let mut attached = Vec::new();
        let mut overdue = Vec::new();
        for (job, waiting) in &pending.jobs {
            match &waiting.entry {
                None => attached.push(job.clone()),
                Some((name, entry))
                    if !entry.is_empty()
                        && waiting.since.elapsed() >= shared.config.no_worker_deadline =>
                {
                    overdue.push((job.clone(), name.clone(), entry.clone()))
                }
                Some(_) => {}
            }
        }
        (attached, overdue)
    };
    if !attached.is_empty() {
        let mut pipeline = redis::pipe();
        for job in &attached {
            pipeline.get(shared.keys.result(job));
        }
        let outcomes: Vec<Option<Vec<u8>>> = link.pipeline(&pipeline)?;
        for (job, outcome) in attached.iter().zip(outcomes) {
            if let Some(outcome) = outcome {
                shared.complete(job, wire::decode_outcome(&outcome));
            }
        }
    }
    if !overdue.is_empty() {
        let names: Vec<&String> = overdue
            .iter()
            .map(|(_, name, _)| name)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut pipeline = redis::pipe();
        for name in &names {
            pipeline.exists(shared.keys.serves(name));
        }
        let served: Vec<bool> = link.pipeline(&pipeline)?;
        let unserved: HashSet<&String> = names
            .iter()
            .zip(served)
            .filter(|(_, served)| !served)
            .map(|(name, _)| *name)
            .collect();
        for (job, name, entry) in &overdue {
            if !unserved.contains(name) {
                continue;
            }
            // Take the entry out of its stream first, so a worker that
            // turns up later does not run a job whose ticket has failed.
            let removed: i64 = link.query(
                redis::cmd("XDEL").arg(shared.keys.jobs(name)).arg(entry),
                Duration::ZERO,
            )?;
            if removed == 1 {
                shared.complete(job, Err(JobError::NoWorker(name.clone())));
            }
        }
    }
    Ok(())
}

/// The canceller thread: one cancel key per cancelled job.
fn send_cancels(shared: &ClientShared, mut link: Link, queue: mpsc::Receiver<String>) {
    let ttl = shared.config.result_ttl.as_secs().max(1);
    while let Ok(job) = queue.recv() {
        let mut command = redis::cmd("SET");
        command
            .arg(shared.keys.cancel(&job))
            .arg(1)
            .arg("EX")
            .arg(ttl);
        // Try until Redis takes it, for as long as the broker timeout.
        let started = Instant::now();
        while link.query::<()>(&command, Duration::ZERO).is_err()
            && started.elapsed() < shared.config.broker_timeout
            && !shared.is_closed()
        {}
    }
}
