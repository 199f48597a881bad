//! `ThreadPoolBuilder`: how many threads, their names, their stack size.

use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crossbeam_deque::Worker;

use super::job::JobRef;
use super::shared::Shared;
use super::worker::WorkerThread;
use super::ThreadPool;

/// Why a [`ThreadPool`] could not be built: the same shape as
/// [`ProcessError`](crate::process::ProcessError) for a process pool (both
/// refuse zero workers with `NoWorkers`). Converts into an
/// [`io::Error`] so `?` works in functions returning `io::Result`.
///
/// # Examples
///
/// ```
/// use deli::pool::ThreadPoolError;
///
/// assert!(matches!(deli::ThreadPool::new(0), Err(ThreadPoolError::NoWorkers)));
/// let error = deli::ThreadPool::builder().thread_name("a\0b").build().unwrap_err();
/// assert!(matches!(error, ThreadPoolError::Invalid(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThreadPoolError {
    /// Zero threads were asked for.
    #[error("a pool needs at least one worker")]
    NoWorkers,
    /// More than 4096 threads, or a thread name prefix with a NUL byte
    /// (the OS cannot name a thread so).
    #[error("invalid thread pool settings: {0}")]
    Invalid(String),
    /// The operating system refused to start a thread.
    #[error("could not start the thread pool: {0}")]
    Io(#[from] io::Error),
}

impl From<ThreadPoolError> for io::Error {
    fn from(error: ThreadPoolError) -> io::Error {
        match error {
            ThreadPoolError::Io(error) => error,
            other => io::Error::new(io::ErrorKind::InvalidInput, other),
        }
    }
}

/// The most threads a pool may have: far more than any machine has cores,
/// and a bound that keeps a typo from exhausting memory.
const MAX_THREADS: usize = 4096;

/// Settings for a [`ThreadPool`]; [`build`](ThreadPoolBuilder::build)
/// starts it.
///
/// # Examples
///
/// ```
/// let pool = deli::ThreadPool::builder()
///     .threads(2)
///     .thread_name("crunch")
///     .stack_size(4 << 20)
///     .build()?;
/// let name = pool.submit(|| std::thread::current().name().map(str::to_owned)).wait_blocking();
/// assert!(name.unwrap().unwrap().starts_with("crunch-"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ThreadPoolBuilder {
    threads: Option<usize>,
    thread_name: String,
    stack_size: Option<usize>,
}

impl Default for ThreadPoolBuilder {
    fn default() -> Self {
        ThreadPoolBuilder::new()
    }
}

impl ThreadPoolBuilder {
    /// One thread per core, named `deli-pool-<n>`, with the platform's
    /// default stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPoolBuilder::new().build()?;
    /// assert!(pool.threads() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> ThreadPoolBuilder {
        ThreadPoolBuilder {
            threads: None,
            thread_name: "deli-pool".to_owned(),
            stack_size: None,
        }
    }

    /// How many threads the pool runs; [`build`](ThreadPoolBuilder::build)
    /// refuses 0 with [`ThreadPoolError::NoWorkers`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::builder().threads(3).build()?;
    /// assert_eq!(pool.threads(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn threads(mut self, threads: usize) -> ThreadPoolBuilder {
        self.threads = Some(threads);
        self
    }

    /// The threads are named `<prefix>-<index>`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::builder().threads(1).thread_name("hash").build()?;
    /// let name = pool.submit(|| std::thread::current().name().map(str::to_owned)).wait_blocking();
    /// assert_eq!(name, Ok(Some("hash-0".to_owned())));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread_name(mut self, prefix: impl Into<String>) -> ThreadPoolBuilder {
        self.thread_name = prefix.into();
        self
    }

    /// Each thread's stack size in bytes (deep `join` recursion may want
    /// more than the default).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::builder().threads(1).stack_size(16 << 20).build()?;
    /// assert_eq!(pool.submit(|| 1).wait_blocking(), Ok(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> ThreadPoolBuilder {
        self.stack_size = Some(bytes);
        self
    }

    /// Starts the threads. Fails, with every thread already started
    /// stopped again, when the operating system refuses one.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::builder().threads(2).build()?;
    /// assert_eq!(pool.submit(|| 6 * 7).wait_blocking(), Ok(42));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ThreadPoolError::NoWorkers`] for 0 threads;
    /// [`ThreadPoolError::Invalid`] for more than 4096 threads or a name
    /// prefix with a NUL byte (the OS cannot name a thread so);
    /// [`ThreadPoolError::Io`] for any error the OS gives when starting a
    /// thread.
    pub fn build(self) -> Result<ThreadPool, ThreadPoolError> {
        let threads = self
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
        if threads == 0 {
            return Err(ThreadPoolError::NoWorkers);
        }
        if threads > MAX_THREADS {
            return Err(ThreadPoolError::Invalid(format!(
                "a thread pool takes at most {MAX_THREADS} threads"
            )));
        }
        if self.thread_name.contains('\0') {
            return Err(ThreadPoolError::Invalid(
                "a thread name cannot contain a NUL byte".to_owned(),
            ));
        }
        let locals: Vec<Worker<JobRef>> = (0..threads).map(|_| Worker::new_lifo()).collect();
        let shared = Arc::new(Shared::new(locals.iter().map(Worker::stealer).collect()));
        let pool = ThreadPool::from_shared(shared.clone(), threads);
        for (index, local) in locals.into_iter().enumerate() {
            let mut thread =
                std::thread::Builder::new().name(format!("{}-{index}", self.thread_name));
            if let Some(bytes) = self.stack_size {
                thread = thread.stack_size(bytes);
            }
            let shared = shared.clone();
            let handle = thread.spawn(move || WorkerThread::run(index, local, shared))?;
            pool.adopt(handle);
        }
        Ok(pool)
    }
}
