//! `Builder`: the knobs of a runtime, and building it.

use std::io;
use std::time::Duration;

use super::blocking::{BlockingConfig, BlockingPool};
use super::handle::{Handle, Kind};
use super::{current_thread, multi_thread, Runtime};

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
        }
    }

    /// Chooses the scheduler.
    pub fn flavor(mut self, flavor: Flavor) -> Builder {
        self.flavor = flavor;
        self
    }

    /// Shorthand for `flavor(Flavor::CurrentThread)`.
    pub fn current_thread(self) -> Builder {
        self.flavor(Flavor::CurrentThread)
    }

    /// Shorthand for `flavor(Flavor::MultiThread)`.
    pub fn multi_thread(self) -> Builder {
        self.flavor(Flavor::MultiThread)
    }

    /// How many worker threads a multi-thread runtime runs (default: one
    /// per core). Zero, or more than 4096, is refused by
    /// [`build`](Builder::build).
    pub fn workers(mut self, workers: usize) -> Builder {
        self.workers = Some(workers);
        self
    }

    /// The name prefix of worker threads (a `-N` suffix is added).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.thread_name = name.into();
        self
    }

    /// The most threads the blocking pool may run at once (default 512).
    /// Calls beyond it wait in a queue. Zero is refused by `build`.
    pub fn max_blocking_threads(mut self, threads: usize) -> Builder {
        self.blocking.max_threads = threads;
        self
    }

    /// How long an idle blocking thread waits for work before it exits
    /// (default 10 s).
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Builder {
        self.blocking.keep_alive = keep_alive;
        self
    }

    /// Builds the runtime and starts its threads.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for zero workers or zero blocking threads; any error
    /// the OS gives when creating the event queue or the threads.
    pub fn build(self) -> io::Result<Runtime> {
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
        let mut blocking = self.blocking;
        blocking.thread_name = format!("{}-blocking", self.thread_name);
        let blocking = BlockingPool::new(blocking);
        match self.flavor {
            Flavor::CurrentThread => {
                let shared = current_thread::Shared::new(blocking)?;
                Ok(Runtime::from_parts(
                    Handle::new(Kind::CurrentThread(shared)),
                    Vec::new(),
                ))
            }
            Flavor::MultiThread => {
                let workers = self.workers.unwrap_or_else(default_workers);
                let (shared, threads) =
                    multi_thread::start(workers, &self.thread_name, blocking, |shared| {
                        Handle::new(Kind::MultiThread(shared))
                    })?;
                Ok(Runtime::from_parts(
                    Handle::new(Kind::MultiThread(shared)),
                    threads,
                ))
            }
        }
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
