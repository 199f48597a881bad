//! Jobs and tickets across machines, through Redis Streams (feature
//! `cluster`).
//!
//! The same `#[deli::job]` functions that a [`ProcessPool`] runs on this
//! machine run on worker processes on any number of machines: a
//! [`ClusterPool`] submits them to Redis and gives back the crate's one
//! [`Ticket`], so `wait`, `.await`, `cancel`, [`as_completed`],
//! [`wait_blocking`](crate::wait_blocking()) and scopes (`Scope::submit_cluster`) work as
//! they do for local work. A worker is [`serve`] in the user's own binary
//! (their jobs are linked in) or `deli worker --redis URL` for the jobs
//! linked into the `deli` command; it runs every job in a supervised local
//! child process of a [`ProcessPool`], so a crashing job kills only its
//! child.
//!
//! # How it uses Redis
//!
//! Everything lives under one namespace (default `deli`):
//!
//! - `NS:jobs:NAME` — a stream per job name; the workers serving `NAME`
//!   read it as consumers of the group `workers`, so each entry goes to
//!   one worker and stays in that worker's pending list until it is
//!   acknowledged.
//! - `NS:serves:NAME` — refreshed by every worker serving `NAME` at each
//!   heartbeat, expiring after the claim timeout: whether anyone serves it.
//! - `NS:result:JOB` — the job's outcome, kept for the result expiry, so a
//!   client that reconnects (or another process) can still read it
//!   ([`ClusterPool::attach`]).
//! - `NS:done:CLIENT` — a stream per client on which workers announce the
//!   outcomes of its jobs; the client reads it from the last entry it saw,
//!   so a dropped connection loses nothing.
//! - `NS:cancel:JOB` — set by a client's cancel; workers check it before
//!   starting a job and watch it while the job runs.
//! - `NS:attempts:JOB` — how many times a worker started the job.
//!
//! # Semantics
//!
//! - **At-least-once.** A job is acknowledged only after its outcome is
//!   stored. A worker that dies (SIGKILL, power loss, a lost network)
//!   before that leaves the job pending; the job may already have done some
//!   or all of its work. **Jobs must be idempotent**, or check for
//!   themselves whether their effect is already there: the same job can run
//!   more than once, even at the same time on two machines when a live
//!   worker misses heartbeats for longer than the claim timeout.
//! - **Heartbeats and claiming back.** Each worker refreshes its
//!   advertisement and the idle time of every entry it holds (`XCLAIM …
//!   JUSTID` to itself) every quarter of the claim timeout. An entry idle
//!   for longer than the claim timeout belongs to a dead worker: another
//!   worker takes it over with `XAUTOCLAIM` and runs it again, up to the
//!   client's `max_retries` times; the start after that fails the ticket
//!   with [`JobError::WorkerDied`].
//! - **Timeouts.** A job past its timeout ([`ClusterPoolBuilder::timeout`])
//!   has its child killed by the worker; the ticket says
//!   [`JobError::TimedOut`].
//! - **Cancel.** [`Ticket::cancel`] resolves the ticket at once with
//!   [`JobError::Cancelled`] and sets the job's cancel key; a worker that has
//!   not started the job skips it, one that runs it kills its child within
//!   a tenth of a second.
//! - **Redis down.** Connecting fails with [`ClusterError::Redis`] after
//!   the connect timeout; a submission that cannot reach Redis fails its
//!   ticket at once with [`JobError::Broker`]. Tickets already waiting keep waiting while the client
//!   reconnects with exponential backoff (up to two seconds between
//!   attempts), and fail with [`JobError::Broker`] once it has been
//!   unreachable for the broker timeout. Workers reconnect the same way
//!   and recreate their consumer groups.
//! - **No worker.** A job whose name no live worker advertises, once it has
//!   waited for the no-worker deadline, fails with [`JobError::NoWorker`]
//!   and is removed from its stream unrun.
//! - Jobs that fail on their own terms keep their error text
//!   ([`JobError::Remote`]), panics their message ([`JobError::Panicked`]),
//!   and a crash of the job's child is [`JobError::WorkerDied`] (not
//!   retried: it is the job's fault, not the machine's).
//!
//! # Why the blocking `redis` API
//!
//! The client and the worker talk to Redis from threads of their own, like
//! the process pool's driver threads: one that submits, one that reads the
//! outcome stream with `XREAD BLOCK`, one that sends cancels; on a worker,
//! one reader, one heartbeat and one thread per concurrent job. Each holds
//! its own blocking connection, which is what `XREAD BLOCK` and
//! `XREADGROUP BLOCK` want anyway (a blocked command holds its connection),
//! keeps deli free of a second async runtime, and works the same from
//! async and blocking callers: a ticket's future is only woken by these
//! threads.
//!
//! Layout: `keys` (names in Redis), `wire` (entry fields, outcomes),
//! `link` (a connection that reconnects with backoff), `client`
//! ([`ClusterPool`]), `worker` ([`serve`]). Uses `process` (local
//! supervision, the job registry and the ticket's result slot) and `task`.
//!
//! ```no_run
//! #[deli::job]
//! fn square(n: u64) -> u64 {
//!     n * n
//! }
//!
//! fn main() {
//!     deli::process::init();
//!     if std::env::args().any(|arg| arg == "--worker") {
//!         let options = deli::cluster::ServeOptions::default().concurrency(4);
//!         deli::cluster::serve("redis://127.0.0.1:6379/0", options).unwrap();
//!         return;
//!     }
//!     let pool = deli::cluster::ClusterPool::connect("redis://127.0.0.1:6379/0").unwrap();
//!     assert_eq!(pool.submit(square, 12).wait_blocking(), Ok(144));
//! }
//! ```
//!
//! [`ProcessPool`]: crate::ProcessPool
//! [`Ticket`]: crate::Ticket
//! [`Ticket::cancel`]: crate::Ticket::cancel
//! [`as_completed`]: crate::as_completed
//! [`JobError::WorkerDied`]: crate::JobError::WorkerDied
//! [`JobError::TimedOut`]: crate::JobError::TimedOut
//! [`JobError::Cancelled`]: crate::JobError::Cancelled
//! [`JobError::Remote`]: crate::JobError::Remote
//! [`JobError::Broker`]: crate::JobError::Broker
//! [`JobError::NoWorker`]: crate::JobError::NoWorker
//! [`JobError::Panicked`]: crate::JobError::Panicked

mod client;
mod keys;
mod link;
mod wire;
mod worker;

pub use client::{ClusterPool, ClusterPoolBuilder, JobId};
pub use worker::{serve, ServeOptions, Worker};

/// Why a cluster client or worker could not start or reach Redis.
///
/// # Examples
///
/// ```
/// // Nothing listens on port 1: connecting fails with a typed error.
/// match deli::cluster::ClusterPool::connect("redis://127.0.0.1:1/0") {
///     Err(deli::cluster::ClusterError::Redis(reason)) => println!("{reason}"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    Url(String),
    /// Redis could not be reached, or refused a command.
    #[error("Redis is unavailable: {0}")]
    Redis(String),
    /// Settings that cannot work (zero concurrency, a zero timeout).
    #[error("invalid cluster settings: {0}")]
    Invalid(String),
    /// The worker's local process pool could not start.
    #[error("the worker's process pool could not start: {0}")]
    Process(#[from] crate::process::ProcessError),
}

impl From<redis::RedisError> for ClusterError {
    fn from(error: redis::RedisError) -> ClusterError {
        ClusterError::Redis(error.to_string())
    }
}
