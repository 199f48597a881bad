//! # deli
//!
//! One runtime for every kind of concurrency the classic guides teach:
//! sequential, concurrent threads, parallel workers and an asynchronous
//! event loop — with one [`Ticket`] type for every result, one set of
//! lifecycle [`State`]s, and a runtime that keeps going when a task blocks.
//!
//! This crate's asynchronous half: [`Runtime`] (work-stealing or
//! current-thread), [`spawn`], [`Ticket`], timers ([`sleep`], [`timeout`],
//! [`interval`]), the I/O reactor ([`io::Async`]), sockets on it
//! ([`net`]: TCP, UDP, Unix) and [`spawn_blocking`]; structured
//! concurrency ([`scope()`], [`CancelScope`], [`move_on_after`],
//! [`fail_after`]) over async tasks, [`ThreadPool`] jobs and
//! [`ProcessPool`] jobs alike; and the primitives that concurrent code
//! shares data through ([`sync`]: `Mutex`, `RwLock`, `Semaphore`, `Event`,
//! `Notify`, `Barrier`, the `mpsc`, `oneshot`, `broadcast` and `watch`
//! channels and Python's `Queue`), each usable from async tasks on any
//! executor and from plain threads alike. With the `http` feature, an
//! HTTP/1.1 and HTTP/2 server and client, over TLS or not (`deli::http`:
//! hyper on deli). The combinators every async program reaches for:
//! [`select!`], [`join!`], [`try_join!`], [`TaskSet`], [`task_local!`],
//! [`sync::OnceCell`], and a paused test clock ([`time::pause`]).
//!
//! ```
//! use std::time::Duration;
//!
//! let total = deli::run(async {
//!     let tickets: Vec<_> = (1..=10u64)
//!         .map(|n| deli::spawn(async move {
//!             deli::sleep(Duration::from_millis(n)).await;
//!             n * n
//!         }))
//!         .collect();
//!     let mut total = 0;
//!     for ticket in tickets {
//!         total += ticket.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 385);
//! ```
//!
//! Layering (arrows point down): `runtime` uses `task`, `io`, `time` and
//! `trace`; those use nothing above them (`task` records its transitions in
//! `trace`, which knows only `task`'s plain `State` and `TaskId`). `net`
//! uses `io`, `time` and the runtime's `spawn_blocking`; `scope` sits on
//! top of the runtime and both pools. `sync` uses nothing else in deli but
//! the leaves (`block_on`, `coop`, `wake_batch`, the `loom` switch), which
//! `task` uses too.
//! `signal` uses `io`; `subprocess` uses `io`, `signal` and the runtime's
//! `Handle`.
//!
//! # Conventions
//!
//! deli runs on Unix only (Linux, macOS, the BSDs): it is built on Unix
//! processes, signals and file descriptors, and a build for any other
//! target stops at a `compile_error!` that says so.
//!
//! ## Names: async, blocking, bounded, non-waiting
//!
//! One rule, everywhere:
//!
//! | form | name | example |
//! |---|---|---|
//! | async: returns a future, `.await` it | the plain name | [`sync::Mutex::lock`], [`sync::Event::wait`], `.await` on a [`Ticket`] |
//! | blocks the calling thread (for plain threads, never in async code) | ends in `_blocking` | [`sync::Mutex::lock_blocking`], [`Ticket::wait_blocking`], [`wait_blocking`] |
//! | blocks, for at most a given time | ends in `_blocking_timeout` | [`sync::Mutex::lock_blocking_timeout`], [`Ticket::wait_blocking_timeout`], [`wait_blocking_timeout`] |
//! | never waits | starts with `try_` | [`sync::Mutex::try_lock`], [`sync::mpsc::Receiver::try_recv`], [`try_spawn`] |
//!
//! An async wait with a limit is the async form inside
//! [`timeout`]: `deli::timeout(d, mutex.lock()).await`. A few names keep
//! the meaning the rest of the ecosystem gave them: [`Runtime::block_on`]
//! and [`Runtime::shutdown_timeout`] block (as in tokio), so do
//! [`ThreadPool::join`] (as in rayon) and the iterators [`as_completed`]
//! and [`ThreadPool::map`] (in `next`). The names this rule replaced —
//! `Ticket::wait`/`wait_timeout`, `deli::wait`/`wait_timeout`, and the
//! sync primitives' `…_timeout` blocking forms — remain for one release,
//! `#[deprecated]`, pointing at the new name.
//!
//! Bad input is an error, not a panic: [`ThreadPool::new`]`(0)` and
//! [`ProcessPool::new`]`(0)` fail with `NoWorkers`;
//! [`sync::mpsc::channel`]`(0)` holds one value (deli has no rendezvous
//! channels; a `tracing` warning says so, and
//! [`sync::mpsc::try_channel`]`(0)` is an error), while
//! [`sync::Queue::new`]`(0)` is unbounded, as Python's `Queue(0)`;
//! [`spawn`] outside a runtime returns a ticket that says
//! [`JobError::NoRuntime`] and warns (through `tracing`, and once on
//! standard error), and [`try_spawn`] gives the future back instead.
//! [`sync::mpsc::Receiver::recv`] returns `Option<T>` as in tokio: `None`
//! once the channel is closed and empty.
//!
//! ## What dropping a handle does
//!
//! | handle | on drop |
//! |---|---|
//! | [`Ticket`] | detaches: the work runs on, its result is dropped ([`Ticket::cancel`] or a scope stop it) |
//! | [`TaskSet`] | cancels every ticket still in it |
//! | [`ThreadPool`] | [`shutdown(true, false)`](ThreadPool::shutdown): stops taking jobs, runs the queue, waits for the threads |
//! | [`ProcessPool`] | [`shutdown(true, false)`](ProcessPool::shutdown), the same: the queue and the running jobs finish, the children end and are reaped ([`terminate`](ProcessPool::terminate) first to stop at once) |
//! | [`Runtime`] | shuts down: tasks' futures are dropped, their tickets say [`JobError::Shutdown`]; running blocking calls finish on their threads |
//! | a [`scope()`] future before it ends | cancels the children without waiting for them (wrap it in a [`CancelScope`], which waits) |
//! | [`CancelScope::run`]'s future | drops the future inside |
//! | [`subprocess::Child`] | the child runs on and is still reaped (no zombie); killed first with `kill_on_drop(true)` |
//! | a sync guard or permit | releases it |
//!
//! ## What each [`JobError`] means
//!
//! | variant | the job… |
//! |---|---|
//! | [`Cancelled`](JobError::Cancelled) | was cancelled ([`Ticket::cancel`], a scope, `shutdown(_, true)`) before it produced a value |
//! | [`Panicked`](JobError::Panicked) | panicked; the [`Panic`] keeps the payload (in this process) or the message (from a worker process or another machine): [`Panic::resume`] re-raises it |
//! | [`WorkerDied`](JobError::WorkerDied) | lost its worker process (exit status or signal) |
//! | [`TimedOut`](JobError::TimedOut) | ran past its *own* deadline (a process or cluster job's timeout) and was stopped |
//! | [`WaitTimedOut`](JobError::WaitTimedOut) | is still running: only a bounded *wait* gave up; the ticket can be waited on again |
//! | [`Shutdown`](JobError::Shutdown) | was dropped by its executor's shutdown (or [`ProcessPool::terminate`]) |
//! | [`Remote`](JobError::Remote) | (in a worker process or on another machine) returned an error; its text |
//! | [`Failed`](JobError::Failed) | (a [`scope()`] child) returned an `Err`; the [`Failure`] holds that error, typed ([`Failure::downcast_ref`]) |
//! | [`Broker`](JobError::Broker) | could not be handed to, or heard back from, the cluster's broker |
//! | [`NoWorker`](JobError::NoWorker) | had no cluster worker serving its name in time; it never ran |
//! | [`NoRuntime`](JobError::NoRuntime) | was spawned where no deli runtime runs; it never ran |
//! | [`ScopeClosed`](JobError::ScopeClosed) | was offered to a scope that had ended; it never ran |
//! | [`AlreadyTaken`](JobError::AlreadyTaken) | had its result taken by an earlier wait |

#![warn(missing_docs)]

// deli is built on Unix processes, signals, pipes and file descriptors
// (`fork`-free re-exec, `pidfd`/`SIGCHLD`, `mio`'s Unix sources): say so
// plainly instead of failing somewhere deep in the build.
#[cfg(not(unix))]
compile_error!(
    "deli supports Unix targets only (Linux, macOS, the BSDs): it is built on \
     Unix processes, signals and file descriptors"
);

mod block_on;
mod coop;
mod current_slot;
mod fifo;
mod loom;
mod macros;
mod poison;
mod ready_list;
mod setters;
#[cfg(all(test, not(loom)))]
mod test_support;
mod wake_batch;

#[doc(hidden)]
pub use macros::private as __private;
pub use macros::{join, select, try_join};

#[cfg(feature = "cluster")]
pub mod cluster;
pub mod fs;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
pub mod net;
pub mod pool;
pub mod process;
pub mod runtime;
pub mod scope;
pub mod signal;
pub mod subprocess;
pub mod sync;
pub mod task;
pub mod task_local;
mod task_set;
pub mod time;
pub mod trace;

pub use pool::{
    as_completed, wait_blocking, wait_blocking_timeout, Return, ThreadPool, ThreadPoolBuilder,
};
#[allow(deprecated)]
pub use pool::{wait, wait_timeout};
pub use process::{Job, ProcessPool};
pub use runtime::{
    run, spawn, spawn_blocking, try_spawn, BlockedTask, Builder, Flavor, Handle, Runtime, Start,
    TaskBuilder,
};
// Issue 19: local tasks and a look inside a running runtime.
pub use runtime::{dump, spawn_local, LocalSet, RuntimeMetrics, TaskInfo};
pub use scope::{
    fail_after, fail_at, move_on_after, move_on_at, scope, CancelScope, Scope, ScopeError,
};
pub use task::{yield_now, Failure, JobError, Panic, SpawnError, State, TaskId, Ticket};
pub use task_set::TaskSet;
pub use time::{interval, sleep, sleep_until, timeout, Elapsed};

/// Runs `async fn main` to completion on a new deli runtime.
///
/// A multi-thread runtime with one worker per core unless told otherwise;
/// `main` keeps its return type, so `?` works as in any `main`. The macro is
/// shorthand for building the runtime by hand; doing that yourself is the way
/// to handle a failure to build it instead of panicking. By hand,
/// `#[deli::main(workers = 2)]` on an `async fn main` amounts to (the
/// first line makes a re-executed process-pool child serve jobs instead):
///
/// ```
/// fn main() -> std::io::Result<()> {
///     deli::process::init();
///     let runtime = deli::Runtime::builder()
///         .flavor(deli::Flavor::MultiThread)
///         .workers(2)
///         .build()?;
///     let answer = runtime.block_on(async { 6 * 7 });
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
///
#[doc(inline)]
pub use deli_macros::main;

/// Makes an `async fn` a test that runs on its own deli runtime.
///
/// Each test gets a fresh current-thread runtime by default, so the order in
/// which its tasks interleave repeats from run to run; ask for
/// `flavor = "multi_thread"` to test parallel behaviour. Write
/// `#[deli::test]` instead of `#[test]`, not next to it; attributes such as
/// `#[should_panic]` and `#[ignore]` work as usual:
///
/// ```
/// #[deli::test]
/// #[should_panic(expected = "boom")]
/// async fn panics_fail_the_test_as_usual() {
///     std::future::ready(()).await;
///     panic!("boom");
/// }
///
/// #[deli::test(flavor = "multi_thread", workers = 2)]
/// #[ignore = "slow"]
/// async fn slow_and_parallel() {}
/// # fn main() {}
/// ```
///
#[doc(inline)]
pub use deli_macros::test;

/// Registers a function as a job for [`ProcessPool`]: its name becomes a
/// [`Job`] constant to submit by. See [`process`].
///
/// ```
/// #[deli::job]
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// let handle: deli::Job<(u64, u64), u64> = add;
/// assert!(handle.name().ends_with("::add"));
/// ```
#[doc(inline)]
pub use deli_macros::job;
