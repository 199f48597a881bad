//! `ThreadPool`: the handle users hold — submit, join, map, shutdown.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::builder::{ThreadPoolBuilder, ThreadPoolError};
use super::join::{join_here, join_on_worker, run_on_pool};
use super::map::Map;
use super::shared::Shared;
use super::worker::WorkerThread;
use crate::poison::IgnorePoison;
use crate::task::{
    spawn_closure, spawn_closure_fallible, CancelHandle, JobError, TaskOptions, Ticket,
};

/// Work-stealing threads for CPU-bound work, separate from the async
/// workers so that a long computation never delays I/O.
///
/// Every job comes back as a [`Ticket`], the same handle as an async task's:
/// `.await` it from async code or [`wait_blocking`](Ticket::wait_blocking)
/// for it from a plain thread.
///
/// The same shape as [`ProcessPool`](crate::ProcessPool): `new(workers)`
/// returns a `Result` and refuses 0, `shutdown(wait, cancel_pending)`, and
/// dropping the pool is [`shutdown(true, false)`](ThreadPool::shutdown):
/// queued jobs still run, and the drop waits for them and for the running
/// ones.
///
/// # Examples
///
/// ```
/// let pool = deli::ThreadPool::new(2)?;
/// let ticket = pool.submit(|| (1..=10u64).product::<u64>());
/// assert_eq!(ticket.wait_blocking(), Ok(3_628_800));
///
/// // The same ticket from async code:
/// let squared = deli::run(async { pool.submit(|| 12 * 12).await });
/// assert_eq!(squared, Ok(144));
/// # Ok::<(), deli::pool::ThreadPoolError>(())
/// ```
#[derive(Debug)]
pub struct ThreadPool {
    shared: Arc<Shared>,
    threads: usize,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl ThreadPool {
    /// A pool of `threads` threads named `deli-pool-<n>`, as
    /// [`ProcessPool::new`](crate::ProcessPool::new) is one of processes.
    ///
    /// # Errors
    ///
    /// [`ThreadPoolError::NoWorkers`] for 0 threads, and whatever
    /// [`ThreadPoolBuilder::build`] refuses (the OS refusing a thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(4)?;
    /// assert_eq!(pool.threads(), 4);
    /// assert!(deli::ThreadPool::new(0).is_err());
    /// # Ok::<(), deli::pool::ThreadPoolError>(())
    /// ```
    pub fn new(threads: usize) -> Result<ThreadPool, ThreadPoolError> {
        ThreadPoolBuilder::new().threads(threads).build()
    }

    /// A builder for the thread count, names and stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::builder().threads(2).thread_name("crunch").build()?;
    /// assert_eq!(pool.threads(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::new()
    }

    pub(super) fn from_shared(shared: Arc<Shared>, threads: usize) -> ThreadPool {
        ThreadPool {
            shared,
            threads,
            handles: Mutex::new(Vec::with_capacity(threads)),
        }
    }

    pub(super) fn adopt(&self, handle: JoinHandle<()>) {
        self.handles.lock().ignore_poison().push(handle);
    }

    /// How many threads the pool runs.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::ThreadPool::new(3).unwrap().threads(), 3);
    /// ```
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Queues `job` and returns its ticket.
    ///
    /// The ticket resolves to the closure's value, to
    /// [`JobError::Panicked`](crate::JobError::Panicked) (the thread lives
    /// on), to [`JobError::Cancelled`](crate::JobError::Cancelled) after
    /// [`Ticket::cancel`] (a queued job never runs; a running one can watch
    /// [`is_cancelled`](super::is_cancelled)), or to
    /// [`JobError::Shutdown`](crate::JobError::Shutdown) when the pool no
    /// longer takes work.
    ///
    /// A job that blocks on another job's ticket holds its thread while it
    /// waits; prefer [`join`](ThreadPool::join) for work that splits.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// let tickets: Vec<_> = (1..=4u64).map(|n| pool.submit(move || n * n)).collect();
    /// let squares: Vec<u64> = tickets.into_iter().map(|t| t.wait_blocking().unwrap()).collect();
    /// assert_eq!(squares, [1, 4, 9, 16]);
    /// ```
    #[track_caller]
    pub fn submit<F, T>(&self, job: F) -> Ticket<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_closure(job, TaskOptions::here(), self.shared.clone())
    }

    /// [`submit`](ThreadPool::submit) for a job that can fail on its own
    /// terms, with a handle that cancels it without its ticket (for scopes).
    pub(crate) fn submit_fallible<F, T>(
        &self,
        job: F,
        options: TaskOptions,
    ) -> (Ticket<T>, Option<CancelHandle>)
    where
        F: FnOnce() -> Result<T, JobError> + Send + 'static,
        T: Send + 'static,
    {
        spawn_closure_fallible(job, options, self.shared.clone())
    }

    /// Runs `a` and `b`, in parallel when a thread is free, and returns
    /// both results: divide and conquer, rayon style.
    ///
    /// The closures may borrow from the caller's stack. On one of this
    /// pool's threads, `b` is offered to idle threads while `a` runs here;
    /// a thread waiting for its other half runs other work meanwhile, so
    /// joins nest as deep as the stack allows. From any other thread the
    /// whole join runs on the pool and the caller blocks; after
    /// [`shutdown`](ThreadPool::shutdown) it runs on the caller. If either
    /// half panics, the panic reaches the caller once both have finished.
    ///
    /// # Examples
    ///
    /// ```
    /// fn fib(pool: &deli::ThreadPool, n: u64) -> u64 {
    ///     if n < 12 {
    ///         return (1..=n).fold((0, 1), |(a, b), _| (b, a + b)).0;
    ///     }
    ///     let (a, b) = pool.join(|| fib(pool, n - 1), || fib(pool, n - 2));
    ///     a + b
    /// }
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// assert_eq!(fib(&pool, 25), 75_025);
    ///
    /// let data = vec![1, 2, 3, 4];
    /// let (left, right) = data.split_at(2);
    /// let (l, r) = pool.join(|| left.iter().sum::<i32>(), || right.iter().sum::<i32>());
    /// assert_eq!(l + r, 10);
    /// ```
    pub fn join<A, B, RA, RB>(&self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA + Send,
        B: FnOnce() -> RB + Send,
        RA: Send,
        RB: Send,
    {
        if let Some(worker) = WorkerThread::current() {
            if Arc::ptr_eq(&worker.shared, &self.shared) {
                return join_on_worker(worker, a, b);
            }
        }
        run_on_pool(&self.shared, move |worker| match worker {
            Some(worker) => join_on_worker(worker, a, b),
            None => join_here(a, b),
        })
    }

    /// Applies `f` to every input on the pool; the results come out in
    /// input order, one `Result` per input (a panic is an error in its
    /// place).
    ///
    /// Lazy: inputs are taken only as the pool has room, a bounded number
    /// of them in flight. Cheap items are grouped into chunks (sized from
    /// how long earlier chunks took, aiming at well under a millisecond
    /// each) so that a million of them cost little more than the work.
    /// Dropping the iterator early cancels what is in flight.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// let squares: Vec<u64> = pool.map(1..=5u64, |n| n * n).map(Result::unwrap).collect();
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    ///
    /// let results: Vec<_> = pool.map(0..3, |n| if n == 1 { panic!("bad item") } else { n }).collect();
    /// assert_eq!(results[0], Ok(0));
    /// assert!(results[1].is_err());
    /// assert_eq!(results[2], Ok(2));
    /// ```
    pub fn map<I, F, T>(&self, inputs: I, f: F) -> Map<'_, I::IntoIter, F, T>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        Map::new(self, inputs.into_iter(), f)
    }

    /// Stops taking jobs: later submits resolve to
    /// [`JobError::Shutdown`](crate::JobError::Shutdown).
    ///
    /// With `cancel_pending`, jobs still queued are dropped unrun and their
    /// tickets resolve to [`JobError::Cancelled`](crate::JobError::Cancelled);
    /// otherwise the threads run them first. Running jobs always finish.
    /// With `wait`, returns once every thread has exited (from one of the
    /// pool's own threads it cannot wait, and does not). Calling it again
    /// is harmless.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(1).unwrap();
    /// let queued = pool.submit(|| 1);
    /// pool.shutdown(true, false);
    /// assert_eq!(queued.wait_blocking(), Ok(1));
    /// assert_eq!(pool.submit(|| 2).wait_blocking(), Err(deli::JobError::Shutdown));
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_pending: bool) {
        let cancelled = self.shared.close(cancel_pending);
        drop(cancelled);
        if !wait || WorkerThread::current().is_some_and(|w| Arc::ptr_eq(&w.shared, &self.shared)) {
            return;
        }
        // Held while joining: a second caller waits here until the threads
        // have exited, instead of finding the list empty and returning early.
        let mut handles = self.handles.lock().ignore_poison();
        for handle in handles.drain(..) {
            // A pool thread catches every job's panic; an error here would
            // mean the thread itself failed, which leaves nothing to do.
            let _ = handle.join();
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}
