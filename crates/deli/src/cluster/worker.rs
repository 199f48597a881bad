//! The worker side: [`serve`] (and [`Worker`] to run one inside a program
//! that does other things) reads jobs from the streams of the job names it
//! serves and runs each in a child process of its own [`ProcessPool`].
//!
//! Threads, each with its own connection: the *reader* takes entries
//! (`XREADGROUP`, and `XAUTOCLAIM` for entries a dead worker left idle)
//! only while a job slot is free, so a worker never holds more than its
//! concurrency; the *heartbeat* advertises the job names and keeps the
//! entries this worker holds fresh (`XCLAIM … JUSTID` to itself), so no
//! one claims a live worker's job; one *lane* per slot runs a job through
//! the process pool, watches its timeout and cancel key, and stores its
//! outcome, and only then acknowledges the entry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redis::streams::{StreamAutoClaimReply, StreamReadReply};
use redis::Value;

use super::keys::{host_name, unique_name, Keys, GROUP};
use super::link::Link;
use super::wire::{self, FIELD_ARGUMENTS, FIELD_JOB, FIELD_REPLY, FIELD_RETRIES, FIELD_TIMEOUT};
use super::ClusterError;
use crate::poison::IgnorePoison;
use crate::process::ProcessPool;
use crate::task::{JobError, Ticket};

/// How long the reader blocks in one read.
const READ_BLOCK: Duration = Duration::from_millis(200);
/// How often a running job's cancel key is looked at.
const CANCEL_POLL: Duration = Duration::from_millis(100);
/// The pause before writing an outcome again after Redis refused it.
const RETRY_PAUSE: Duration = Duration::from_millis(20);
/// Outcome streams keep about this many entries.
const DONE_STREAM_LENGTH: u64 = 100_000;

/// Settings for a worker ([`serve`], [`Worker::start`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let options = deli::cluster::ServeOptions::default()
///     .concurrency(4)
///     .namespace("deli")
///     .claim_timeout(Duration::from_secs(30))
///     .result_ttl(Duration::from_secs(3600));
/// assert_eq!(options.concurrency_value(), 4);
/// ```
#[derive(Debug, Clone)]
pub struct ServeOptions {
    concurrency: usize,
    namespace: String,
    claim_timeout: Duration,
    result_ttl: Duration,
    jobs: Option<Vec<String>>,
    connect_timeout: Duration,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            concurrency: std::thread::available_parallelism().map_or(1, |n| n.get()),
            namespace: "deli".to_owned(),
            claim_timeout: Duration::from_secs(30),
            result_ttl: Duration::from_secs(3600),
            jobs: None,
            connect_timeout: Duration::from_secs(2),
        }
    }
}

impl ServeOptions {
    crate::setters::setters! {
        /// How many jobs run at once, each in its own child process (default:
        /// one per core).
        pub fn concurrency(mut self, jobs: usize) => self.concurrency = jobs;
    }

    /// The concurrency set.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::cluster::ServeOptions::default().concurrency(3).concurrency_value(), 3);
    /// ```
    pub fn concurrency_value(&self) -> usize {
        self.concurrency
    }

    crate::setters::setters! {
        /// The key prefix shared with the clients (default `deli`).
        pub fn namespace(mut self, namespace: impl Into<String>) =>
            self.namespace = namespace.into();

        /// A job entry idle this long belongs to a dead worker and is claimed
        /// back by a live one (default 30 s). Heartbeats run four times per
        /// claim timeout; a worker that misses heartbeats for longer (a frozen
        /// machine) may see its job run a second time elsewhere.
        pub fn claim_timeout(mut self, timeout: Duration) => self.claim_timeout = timeout;

        /// How long outcomes are kept (default one hour).
        pub fn result_ttl(mut self, ttl: Duration) => self.result_ttl = ttl;
    }

    /// Serve only these job names (default: every `#[deli::job]` linked
    /// into this binary).
    pub fn jobs<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.jobs = Some(names.into_iter().map(Into::into).collect());
        self
    }

    crate::setters::setters! {
        /// How long one connection attempt may take (default 2 s).
        pub fn connect_timeout(mut self, timeout: Duration) => self.connect_timeout = timeout;
    }
}

/// Serves jobs from the Redis at `url` until the process ends: what a
/// worker binary's `main` calls (after `deli::process::init()`, which its
/// job children need). Returns only when the worker cannot start: a bad
/// URL or settings, Redis unreachable at start, or a process pool that
/// cannot start. Once running it rides out Redis outages, reconnecting
/// with backoff.
///
/// # Examples
///
/// ```no_run
/// #[deli::job]
/// fn square(n: u64) -> u64 {
///     n * n
/// }
///
/// fn main() {
///     deli::process::init();
///     let options = deli::cluster::ServeOptions::default().concurrency(2);
///     if let Err(error) = deli::cluster::serve("redis://127.0.0.1:6379/0", options) {
///         eprintln!("worker: {error}");
///     }
/// }
/// ```
pub fn serve(url: &str, options: ServeOptions) -> Result<(), ClusterError> {
    let mut worker = Worker::start(url, options)?;
    for thread in worker.threads.drain(..) {
        // A panicked thread has nothing left to hand back.
        let _ = thread.join();
    }
    Ok(())
}

/// A running worker inside this process; [`stop`](Worker::stop) ends it.
///
/// # Examples
///
/// ```no_run
/// deli::process::init();
/// let worker = deli::cluster::Worker::start(
///     "redis://127.0.0.1:6379/0",
///     deli::cluster::ServeOptions::default().concurrency(2),
/// )
/// .unwrap();
/// println!("serving as {}", worker.id());
/// worker.stop();
/// ```
#[derive(Debug)]
pub struct Worker {
    shared: Arc<WorkerShared>,
    threads: Vec<JoinHandle<()>>,
}

impl Worker {
    /// Starts serving; see [`serve`].
    pub fn start(url: &str, options: ServeOptions) -> Result<Worker, ClusterError> {
        if options.concurrency == 0 {
            return Err(ClusterError::Invalid(
                "a worker needs a concurrency of at least 1".into(),
            ));
        }
        if options.claim_timeout < Duration::from_millis(100) {
            return Err(ClusterError::Invalid(
                "the claim timeout must be at least 100 ms".into(),
            ));
        }
        let client = redis::Client::open(url).map_err(|e| ClusterError::Url(e.to_string()))?;
        let mut setup = Link::new(client.clone(), options.connect_timeout);
        setup.query::<String>(&redis::cmd("PING"), Duration::ZERO)?;
        let names: Vec<String> = match &options.jobs {
            Some(names) => names.clone(),
            None => crate::process::__private::JOBS
                .iter()
                .map(|entry| entry.name.to_owned())
                .collect(),
        };
        if names.is_empty() {
            return Err(ClusterError::Invalid(
                "this worker has no jobs to serve".into(),
            ));
        }
        let pool = ProcessPool::builder()
            .workers(options.concurrency)
            .build()?;
        let keys = Keys::new(&options.namespace);
        let streams = names
            .iter()
            .map(|name| (name.clone(), keys.jobs(name)))
            .collect();
        let (deliveries, queue) = mpsc::sync_channel(options.concurrency);
        let shared = Arc::new(WorkerShared {
            id: format!("{}-{}", host_name(), unique_name("w")),
            keys,
            streams,
            pool,
            held: Mutex::new(HashMap::new()),
            free_slots: Mutex::new(options.concurrency),
            slot_freed: Condvar::new(),
            stop: AtomicBool::new(false),
            options,
        });
        create_groups(&shared, &mut setup)?;
        heartbeat_once(&shared, &mut setup)?;
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::new();
        let spawn = |name: String, body: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(body)
                .map_err(|e| ClusterError::Invalid(format!("cannot start a thread: {e}")))
        };
        {
            let shared = shared.clone();
            let link = Link::new(client.clone(), shared.options.connect_timeout);
            threads.push(spawn(
                "deli-cluster-read".into(),
                Box::new(move || read_jobs(&shared, link, deliveries)),
            )?);
        }
        {
            let shared = shared.clone();
            threads.push(spawn(
                "deli-cluster-beat".into(),
                Box::new(move || heartbeat(&shared, setup)),
            )?);
        }
        for lane in 0..shared.options.concurrency {
            let shared = shared.clone();
            let queue = queue.clone();
            let link = Link::new(client.clone(), shared.options.connect_timeout);
            threads.push(spawn(
                format!("deli-cluster-lane-{lane}"),
                Box::new(move || run_lane(&shared, link, &queue)),
            )?);
        }
        Ok(Worker { shared, threads })
    }

    /// This worker's consumer name in Redis (host, pid and a random part).
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// Stops taking jobs, kills the children of jobs still running and
    /// leaves those jobs pending, so another worker claims them back.
    pub fn stop(mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.slot_freed.notify_all();
        for thread in self.threads.drain(..) {
            // A panicked thread has nothing left to hand back.
            let _ = thread.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.slot_freed.notify_all();
    }
}

/// One entry handed from the reader to a lane.
#[derive(Debug)]
struct Delivery {
    job_name: String,
    stream: String,
    entry: String,
    fields: HashMap<String, Value>,
}

#[derive(Debug)]
struct WorkerShared {
    id: String,
    keys: Keys,
    /// (job name, stream key) per name served.
    streams: Vec<(String, String)>,
    pool: ProcessPool,
    /// Entries this worker holds (read, not yet acknowledged) → stream.
    held: Mutex<HashMap<String, String>>,
    free_slots: Mutex<usize>,
    slot_freed: Condvar,
    stop: AtomicBool,
    options: ServeOptions,
}

/// A stopped worker ends its children at once, as it always has: its
/// running jobs were cancelled back to the broker already, and a pool's
/// own drop would wait for them.
impl Drop for WorkerShared {
    fn drop(&mut self) {
        self.pool.terminate();
    }
}

impl WorkerShared {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn held(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.held.lock().ignore_poison()
    }

    /// Free slots, waiting up to `wait` for one.
    fn free_slots(&self, wait: Duration) -> usize {
        let free = self.free_slots.lock().ignore_poison();
        let (free, _) = self
            .slot_freed
            .wait_timeout_while(free, wait, |free| *free == 0 && !self.stopping())
            .ignore_poison();
        *free
    }

    fn take_slot(&self) {
        let mut free = self.free_slots.lock().ignore_poison();
        *free = free.saturating_sub(1);
    }

    fn release_slot(&self) {
        *self.free_slots.lock().ignore_poison() += 1;
        self.slot_freed.notify_one();
    }

    fn claim_every(&self) -> Duration {
        self.options.claim_timeout / 4
    }
}

/// Creates each stream's consumer group (and the stream) if missing.
fn create_groups(shared: &WorkerShared, link: &mut Link) -> Result<(), ClusterError> {
    for (_, stream) in &shared.streams {
        let mut command = redis::cmd("XGROUP");
        command
            .arg("CREATE")
            .arg(stream)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM");
        match link.query::<()>(&command, Duration::ZERO) {
            Ok(()) => {}
            Err(error) if error.code() == Some("BUSYGROUP") => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Advertises the job names and refreshes the entries held.
fn heartbeat_once(shared: &WorkerShared, link: &mut Link) -> redis::RedisResult<()> {
    let expiry = shared.options.claim_timeout.as_millis() as u64;
    let mut pipeline = redis::pipe();
    let names: Vec<&str> = shared
        .streams
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    pipeline
        .cmd("SET")
        .arg(shared.keys.worker(&shared.id))
        .arg(names.join("\n"))
        .arg("PX")
        .arg(expiry)
        .ignore();
    for name in names {
        pipeline
            .cmd("SET")
            .arg(shared.keys.serves(name))
            .arg(&shared.id)
            .arg("PX")
            .arg(expiry)
            .ignore();
    }
    let held: Vec<(String, String)> = shared
        .held()
        .iter()
        .map(|(entry, stream)| (entry.clone(), stream.clone()))
        .collect();
    for (entry, stream) in held {
        pipeline
            .cmd("XCLAIM")
            .arg(stream)
            .arg(GROUP)
            .arg(&shared.id)
            .arg(0)
            .arg(entry)
            .arg("JUSTID")
            .ignore();
    }
    link.pipeline::<()>(&pipeline)
}

fn heartbeat(shared: &WorkerShared, mut link: Link) {
    let every = shared.claim_every();
    let mut next = Instant::now() + every;
    while !shared.stopping() {
        let now = Instant::now();
        if now < next {
            std::thread::sleep((next - now).min(Duration::from_millis(50)));
            continue;
        }
        next = now + every;
        // A missed beat is retried at the next one; the claim timeout is
        // four beats long.
        let _ = heartbeat_once(shared, &mut link);
    }
    let _ = link.query::<()>(
        redis::cmd("DEL").arg(shared.keys.worker(&shared.id)),
        Duration::ZERO,
    );
}

/// The reader thread: entries in, one per free slot.
fn read_jobs(shared: &WorkerShared, mut link: Link, deliveries: mpsc::SyncSender<Delivery>) {
    let mut last_claim: Option<Instant> = None;
    let mut groups_missing = false;
    let by_stream: HashMap<&str, &str> = shared
        .streams
        .iter()
        .map(|(name, stream)| (stream.as_str(), name.as_str()))
        .collect();
    let dispatch = |stream: &str, entry: redis::streams::StreamId| {
        let Some(job_name) = by_stream.get(stream) else {
            return;
        };
        shared.held().insert(entry.id.clone(), stream.to_owned());
        shared.take_slot();
        // The lanes end only after this thread; a failed send means the
        // worker is stopping and the entry stays pending for others.
        let _ = deliveries.send(Delivery {
            job_name: (*job_name).to_owned(),
            stream: stream.to_owned(),
            entry: entry.id,
            fields: entry.map,
        });
    };
    while !shared.stopping() {
        if groups_missing {
            if create_groups(shared, &mut link).is_err() {
                continue;
            }
            groups_missing = false;
        }
        let mut free = shared.free_slots(READ_BLOCK);
        if free == 0 {
            continue;
        }
        if last_claim.is_none_or(|at| at.elapsed() >= shared.claim_every()) {
            last_claim = Some(Instant::now());
            for (_, stream) in &shared.streams {
                if free == 0 {
                    break;
                }
                let mut command = redis::cmd("XAUTOCLAIM");
                command
                    .arg(stream)
                    .arg(GROUP)
                    .arg(&shared.id)
                    .arg(shared.options.claim_timeout.as_millis() as u64)
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(free);
                match link.query::<StreamAutoClaimReply>(&command, Duration::ZERO) {
                    Ok(reply) => {
                        for entry in reply.claimed {
                            if entry.map.is_empty() {
                                continue;
                            }
                            free = free.saturating_sub(1);
                            dispatch(stream, entry);
                        }
                    }
                    Err(error) => {
                        groups_missing |= error.code() == Some("NOGROUP");
                    }
                }
            }
        }
        if free == 0 || groups_missing {
            continue;
        }
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(GROUP)
            .arg(&shared.id)
            .arg("COUNT")
            .arg(free)
            .arg("BLOCK")
            .arg(READ_BLOCK.as_millis() as u64)
            .arg("STREAMS");
        for (_, stream) in &shared.streams {
            command.arg(stream);
        }
        for _ in &shared.streams {
            command.arg(">");
        }
        match link.query::<Option<StreamReadReply>>(&command, READ_BLOCK) {
            Ok(reply) => {
                for stream in reply.map(|reply| reply.keys).unwrap_or_default() {
                    for entry in stream.ids {
                        dispatch(&stream.key, entry);
                    }
                }
            }
            Err(error) => {
                groups_missing |= error.code() == Some("NOGROUP");
            }
        }
    }
}

/// One lane: a job at a time, from its start to its stored outcome.
fn run_lane(shared: &WorkerShared, mut link: Link, queue: &Mutex<mpsc::Receiver<Delivery>>) {
    loop {
        let delivery = {
            let queue = queue.lock().ignore_poison();
            loop {
                if shared.stopping() {
                    return;
                }
                match queue.recv_timeout(READ_BLOCK) {
                    Ok(delivery) => break delivery,
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        };
        run_delivery(shared, &mut link, delivery);
        shared.release_slot();
    }
}

fn run_delivery(shared: &WorkerShared, link: &mut Link, delivery: Delivery) {
    let fields = &delivery.fields;
    let (Some(job), Some(reply)) = (
        wire::text_of(fields, FIELD_JOB),
        wire::text_of(fields, FIELD_REPLY),
    ) else {
        // Not an entry a deli client wrote: nobody waits for it.
        acknowledge(shared, link, &delivery);
        return;
    };
    let arguments = fields
        .get(FIELD_ARGUMENTS)
        .and_then(wire::bytes_of)
        .unwrap_or_default()
        .to_vec();
    let timeout = wire::number_of(fields, FIELD_TIMEOUT)
        .filter(|&millis| millis > 0)
        .map(Duration::from_millis);
    let retries = wire::number_of(fields, FIELD_RETRIES).unwrap_or(0);
    let ttl = shared.options.result_ttl.as_secs().max(1);

    let mut pipeline = redis::pipe();
    pipeline
        .incr(shared.keys.attempts(&job), 1)
        .cmd("EXPIRE")
        .arg(shared.keys.attempts(&job))
        .arg(ttl)
        .ignore()
        .exists(shared.keys.cancel(&job))
        .exists(shared.keys.result(&job));
    let (attempts, cancelled, finished): (u64, bool, bool) = loop {
        match link.pipeline(&pipeline) {
            Ok(state) => break state,
            Err(_) if shared.stopping() => return,
            // Redis is away: the link waits out its backoff before the
            // next try; a refused command is tried again a little later.
            Err(_) => std::thread::sleep(RETRY_PAUSE),
        }
    };
    if finished {
        // Run twice (claimed back from a worker that stalled, not died):
        // the first outcome stands.
        acknowledge(shared, link, &delivery);
        return;
    }
    let outcome = if cancelled {
        Err(JobError::Cancelled)
    } else if attempts > retries + 1 {
        Err(JobError::WorkerDied(format!(
            "the workers running job `{}` died {} times (max_retries = {retries})",
            delivery.job_name,
            attempts - 1
        )))
    } else {
        let ticket = shared.pool.submit_raw(&delivery.job_name, arguments);
        run_job(shared, link, &job, ticket, timeout)
    };
    if shared.stopping() && outcome == Err(JobError::Shutdown) {
        // Left pending: another worker claims it back.
        return;
    }
    let encoded = wire::encode_outcome(&outcome);
    let mut pipeline = redis::pipe();
    pipeline
        .cmd("SET")
        .arg(shared.keys.result(&job))
        .arg(&encoded)
        .arg("EX")
        .arg(ttl)
        .ignore()
        .cmd("XADD")
        .arg(&reply)
        .arg("MAXLEN")
        .arg("~")
        .arg(DONE_STREAM_LENGTH)
        .arg("*")
        .arg(FIELD_JOB)
        .arg(&job)
        .arg(wire::FIELD_OUTCOME)
        .arg(&encoded)
        .ignore()
        .cmd("EXPIRE")
        .arg(&reply)
        .arg(ttl)
        .ignore();
    add_acknowledge(&mut pipeline, &delivery);
    while link.pipeline::<()>(&pipeline).is_err() {
        if shared.stopping() {
            return;
        }
        std::thread::sleep(RETRY_PAUSE);
    }
    shared.held().remove(&delivery.entry);
}

/// Waits for a job's ticket, enforcing its timeout and its cancel key.
fn run_job(
    shared: &WorkerShared,
    link: &mut Link,
    job: &str,
    mut ticket: Ticket<Vec<u8>>,
    timeout: Option<Duration>,
) -> Result<Vec<u8>, JobError> {
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    let cancel_key = shared.keys.cancel(job);
    loop {
        let wait = deadline.map_or(CANCEL_POLL, |deadline| {
            deadline
                .saturating_duration_since(Instant::now())
                .min(CANCEL_POLL)
        });
        match ticket.wait_blocking_timeout(wait) {
            Err(JobError::WaitTimedOut) => {}
            outcome => return outcome,
        }
        if shared.stopping() {
            ticket.cancel();
            return Err(JobError::Shutdown);
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            // Kills the job's child; the pool starts a fresh one.
            ticket.cancel();
            return Err(JobError::TimedOut);
        }
        let cancelled: redis::RedisResult<bool> =
            link.query(redis::cmd("EXISTS").arg(&cancel_key), Duration::ZERO);
        if cancelled == Ok(true) {
            ticket.cancel();
            return Err(JobError::Cancelled);
        }
    }
}

fn add_acknowledge(pipeline: &mut redis::Pipeline, delivery: &Delivery) {
    pipeline
        .cmd("XACK")
        .arg(&delivery.stream)
        .arg(GROUP)
        .arg(&delivery.entry)
        .ignore()
        .cmd("XDEL")
        .arg(&delivery.stream)
        .arg(&delivery.entry)
        .ignore();
}

fn acknowledge(shared: &WorkerShared, link: &mut Link, delivery: &Delivery) {
    let mut pipeline = redis::pipe();
    add_acknowledge(&mut pipeline, delivery);
    while link.pipeline::<()>(&pipeline).is_err() {
        if shared.stopping() {
            return;
        }
        std::thread::sleep(RETRY_PAUSE);
    }
    shared.held().remove(&delivery.entry);
}
