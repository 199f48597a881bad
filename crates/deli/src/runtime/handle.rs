//! `Handle`: a cheap, cloneable way to reach a runtime from anywhere; and
//! [`Flavour`], what both schedulers offer the handle, so that each of its
//! methods is one call (through [`dispatch!`]) rather than a match per
//! method.
//!
//! Arrows: `handle` uses `multi_thread` and `current_thread`; neither uses
//! `handle` (a multi-thread worker enters the runtime's context through the
//! [`EnterThread`](super::multi_thread::EnterThread) it is given), and the
//! thread's runtime context (`context`, which holds a `Handle`) is above
//! it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use async_task::ScheduleInfo;

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::metrics::{RuntimeMetrics, Snapshot};
use super::{current_thread, multi_thread};
use crate::task::{
    spawn_unscheduled, spawn_unscheduled_fallible, JobError, OwnedTasks, Runnable, Scheduler,
    TaskInfo, TaskOptions, Ticket,
};

/// What a scheduler's shared state offers its runtime's handle.
pub(crate) trait Flavour: Scheduler + Sized + 'static {
    /// The schedule function of its tasks: a zero-sized item, which the
    /// task cell stores for free and calls without a reference count.
    fn schedule(task: Runnable, info: ScheduleInfo);
    fn owned(&self) -> &OwnedTasks;
    fn blocking(&self) -> &BlockingPool;
    fn driver(&self) -> &Driver;
    /// Runs `future` to completion on this thread, inside the runtime (its
    /// context is entered already).
    fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output;
    /// Stops the scheduler's threads (joining `workers` until `deadline`)
    /// and drops its tasks; returns whether every thread exited.
    fn shutdown(&self, workers: Vec<JoinHandle<()>>, deadline: Option<Instant>) -> bool;
    /// The flavour, for `Debug`.
    fn describe(&self) -> String;
    /// The scheduler's counters as of now.
    fn metrics(&self) -> RuntimeMetrics;
}

impl Flavour for multi_thread::Shared {
    fn schedule(task: Runnable, info: ScheduleInfo) {
        multi_thread::schedule(task, info);
    }
    fn owned(&self) -> &OwnedTasks {
        multi_thread::Shared::owned(self)
    }
    fn blocking(&self) -> &BlockingPool {
        multi_thread::Shared::blocking(self)
    }
    fn driver(&self) -> &Driver {
        multi_thread::Shared::driver(self)
    }
    fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        // The workers run the tasks; this thread only waits for its own.
        crate::block_on::block_on(future)
    }
    fn shutdown(&self, workers: Vec<JoinHandle<()>>, deadline: Option<Instant>) -> bool {
        multi_thread::Shared::shutdown(self, workers, deadline)
    }
    fn describe(&self) -> String {
        format!("multi-thread ({} workers)", self.workers())
    }
    fn metrics(&self) -> RuntimeMetrics {
        multi_thread::Shared::metrics(self)
    }
}

impl Flavour for current_thread::Shared {
    fn schedule(task: Runnable, info: ScheduleInfo) {
        current_thread::schedule(task, info);
    }
    fn owned(&self) -> &OwnedTasks {
        &self.owned
    }
    fn blocking(&self) -> &BlockingPool {
        &self.blocking
    }
    fn driver(&self) -> &Driver {
        &self.driver
    }
    fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        current_thread::Shared::block_on(self, future)
    }
    fn shutdown(&self, _workers: Vec<JoinHandle<()>>, _deadline: Option<Instant>) -> bool {
        // Its only thread is whichever calls `block_on`: nothing to join.
        current_thread::Shared::shutdown(self);
        true
    }
    fn describe(&self) -> String {
        "current-thread".to_owned()
    }
    fn metrics(&self) -> RuntimeMetrics {
        current_thread::Shared::metrics(self)
    }
}

/// Runs `$body` with `$shared` bound to the handle's scheduler, whichever
/// flavour it is: the one match over the flavours.
macro_rules! dispatch {
    ($handle:expr, $shared:ident => $body:expr) => {
        match &$handle.kind {
            Kind::MultiThread($shared) => $body,
            Kind::CurrentThread($shared) => $body,
        }
    };
}

/// A handle to a [`Runtime`](super::Runtime): spawn onto it from any
/// thread, inside or outside the runtime. Clones are cheap.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::new()?;
/// let handle = runtime.handle().clone();
/// let ticket = handle.spawn(async { 9 });
/// assert_eq!(ticket.wait_blocking(), Ok(9));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    kind: Kind,
}

#[derive(Clone)]
pub(crate) enum Kind {
    MultiThread(Arc<multi_thread::Shared>),
    CurrentThread(Arc<current_thread::Shared>),
}

impl Handle {
    pub(crate) fn new(kind: Kind) -> Handle {
        Handle { kind }
    }

    /// Spawns a task onto the runtime. After the runtime has shut down the
    /// future is dropped and the ticket resolves to
    /// [`JobError::Shutdown`](crate::JobError::Shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// let handle = runtime.handle().clone();
    /// drop(runtime);
    /// assert_eq!(handle.spawn(async {}).wait_blocking(), Err(deli::JobError::Shutdown));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Ticket<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(future, TaskOptions::here())
    }

    pub(crate) fn spawn_with<F>(&self, future: F, options: TaskOptions) -> Ticket<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.create_with(future, options) {
            Ok((runnable, ticket)) => {
                runnable.schedule();
                ticket
            }
            Err(error) => Ticket::failed(error),
        }
    }

    /// Creates the task, New: nothing runs until the runnable is scheduled.
    pub(crate) fn create_with<F>(
        &self,
        future: F,
        options: TaskOptions,
    ) -> Result<(Runnable, Ticket<F::Output>), JobError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        dispatch!(self, shared => create_on(shared, future, options))
    }

    /// [`create_with`](Handle::create_with) for a future that can fail on
    /// its own terms: its `Err` becomes the ticket's error.
    pub(crate) fn create_fallible_with<F, T>(
        &self,
        future: F,
        options: TaskOptions,
    ) -> Result<(Runnable, Ticket<T>), JobError>
    where
        F: Future<Output = Result<T, JobError>> + Send + 'static,
        T: Send + 'static,
    {
        dispatch!(self, shared => create_fallible_on(shared, future, options))
    }

    /// Runs a blocking call on this runtime's blocking pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// let ticket = runtime.handle().spawn_blocking(|| 2 + 2);
    /// assert_eq!(ticket.wait_blocking(), Ok(4));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, T>(&self, f: F) -> Ticket<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.blocking().spawn_with(f, TaskOptions::here())
    }

    pub(crate) fn blocking(&self) -> &BlockingPool {
        dispatch!(self, shared => Flavour::blocking(&**shared))
    }

    pub(crate) fn driver(&self) -> &Driver {
        dispatch!(self, shared => Flavour::driver(&**shared))
    }

    /// Runs `future` to completion on this thread (with the runtime's
    /// context entered by the caller).
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        dispatch!(self, shared => Flavour::block_on(shared, future))
    }

    /// Stops the runtime's threads and drops its tasks: see
    /// [`Flavour::shutdown`].
    pub(crate) fn shutdown(&self, workers: Vec<JoinHandle<()>>, deadline: Option<Instant>) -> bool {
        dispatch!(self, shared => Flavour::shutdown(&**shared, workers, deadline))
    }

    /// The runtime's counters: per worker polls, steals, parks and queue
    /// depth, the injector's depth, blocking episodes and spares in use
    /// (see [`RuntimeMetrics`]). Cheap enough to call every few
    /// milliseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(2).build()?;
    /// let metrics = runtime.handle().metrics();
    /// assert_eq!(metrics.flavor, "multi-thread");
    /// assert_eq!(metrics.workers, 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        dispatch!(self, shared => Flavour::metrics(&**shared))
    }

    /// Every live task of the runtime — queued, running or waiting — with
    /// its id, name, spawn location, state and time in that state, ordered
    /// by id (see [`TaskInfo`]). What asyncio calls `all_tasks()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().workers(1).build()?;
    /// let ticket = deli::TaskBuilder::new()
    ///     .name("waiter")
    ///     .spawn_on(std::future::pending::<()>(), runtime.handle());
    /// let tasks = runtime.handle().tasks();
    /// assert!(tasks.iter().any(|task| task.id == ticket.id().as_u64()
    ///     && task.name.as_deref() == Some("waiter")));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn tasks(&self) -> Vec<TaskInfo> {
        dispatch!(self, shared => Flavour::owned(&**shared).list())
    }

    /// The metrics and every live task at once, as the inspect socket
    /// serves them (see [`Snapshot`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// let snapshot = runtime.handle().snapshot();
    /// assert_eq!(snapshot.metrics.flavor, "current-thread");
    /// assert!(snapshot.tasks.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        let program = std::env::current_exe()
            .ok()
            .and_then(|path| {
                path.file_name()
                    .map(|name| name.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "?".to_owned());
        Snapshot {
            pid: std::process::id(),
            program,
            uptime: self.driver().started.elapsed(),
            metrics: self.metrics(),
            tasks: self.tasks(),
        }
    }

    /// Whether the runtime has shut down.
    pub fn is_shutdown(&self) -> bool {
        dispatch!(self, shared => Flavour::owned(&**shared).is_closed())
    }
}

/// Creates a task on the scheduler `shared`.
fn create_on<S: Flavour, F>(
    shared: &Arc<S>,
    future: F,
    options: TaskOptions,
) -> Result<(Runnable, Ticket<F::Output>), JobError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let scheduler: Arc<dyn Scheduler> = shared.clone();
    spawn_unscheduled(
        future,
        options,
        scheduler,
        Some(S::owned(shared)),
        S::schedule,
    )
}

/// [`create_on`] for a future whose `Err` becomes the ticket's error.
fn create_fallible_on<S: Flavour, F, T>(
    shared: &Arc<S>,
    future: F,
    options: TaskOptions,
) -> Result<(Runnable, Ticket<T>), JobError>
where
    F: Future<Output = Result<T, JobError>> + Send + 'static,
    T: Send + 'static,
{
    let scheduler: Arc<dyn Scheduler> = shared.clone();
    spawn_unscheduled_fallible(
        future,
        options,
        scheduler,
        Some(S::owned(shared)),
        S::schedule,
    )
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flavor = dispatch!(self, shared => Flavour::describe(&**shared));
        f.debug_struct("Handle").field("flavor", &flavor).finish()
    }
}
