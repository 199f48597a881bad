//! The runtimes under comparison behind one small trait, so every case body
//! is written once and only the runtime differs.
//!
//! Owns: [`BenchRuntime`], the [`Deli`], [`DeliNoMonitor`] and [`Tokio`] adapters and the
//! [`Flavor`] they are built in. Calls: `deli` and `tokio` (this is the only
//! module that names either).

use std::future::Future;
use std::io;
use std::time::Duration;

/// Worker threads of both multi-thread runtimes.
pub const WORKERS: usize = 2;

/// Which kind of runtime a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Work-stealing runtime with [`WORKERS`] worker threads.
    MultiThread,
    /// Everything on the thread that calls `block_on`.
    CurrentThread,
}

impl Flavor {
    /// Both flavors, in the order the suites run them.
    pub const ALL: [Flavor; 2] = [Flavor::MultiThread, Flavor::CurrentThread];

    /// The suffix of a case name: `mt` or `ct`.
    pub fn suffix(self) -> &'static str {
        match self {
            Flavor::MultiThread => "mt",
            Flavor::CurrentThread => "ct",
        }
    }
}

/// What a case body may ask of the runtime it runs on. `spawn_detached`,
/// `yield_now` and `sleep` act on the runtime of the calling context.
pub trait BenchRuntime: Sized + 'static {
    /// Builds the runtime in `flavor`.
    fn build(flavor: Flavor) -> io::Result<Self>;

    /// Runs `future` to completion, blocking the calling thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Spawns `future` onto the current runtime without keeping its handle.
    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Yields to the scheduler once.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// Completes after `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;
}

/// deli's runtime.
#[derive(Debug)]
pub struct Deli(deli::Runtime);

impl BenchRuntime for Deli {
    fn build(flavor: Flavor) -> io::Result<Self> {
        let builder = deli::Runtime::builder();
        let builder = match flavor {
            Flavor::MultiThread => builder.workers(WORKERS),
            Flavor::CurrentThread => builder.current_thread(),
        };
        builder.build().map(Deli)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping a ticket detaches its task.
        drop(deli::spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        deli::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        deli::sleep(duration)
    }
}

/// deli's runtime with its monitor turned off (the `monitor` suite's
/// baseline); otherwise the same as [`Deli`].
#[derive(Debug)]
pub struct DeliNoMonitor(deli::Runtime);

impl BenchRuntime for DeliNoMonitor {
    fn build(flavor: Flavor) -> io::Result<Self> {
        let builder = deli::Runtime::builder().monitor(None);
        let builder = match flavor {
            Flavor::MultiThread => builder.workers(WORKERS),
            Flavor::CurrentThread => builder.current_thread(),
        };
        builder.build().map(DeliNoMonitor)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        Deli::spawn_detached(future);
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        Deli::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        Deli::sleep(duration)
    }
}

/// tokio's runtime, with all drivers enabled as an application would have it.
#[derive(Debug)]
pub struct Tokio(tokio::runtime::Runtime);

impl BenchRuntime for Tokio {
    fn build(flavor: Flavor) -> io::Result<Self> {
        let mut builder = match flavor {
            Flavor::MultiThread => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(WORKERS);
                builder
            }
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        };
        builder.enable_all().build().map(Tokio)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn spawn_detached<F>(future: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping a join handle detaches its task.
        drop(tokio::spawn(future));
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}
