//! `Handle`: a cheap, cloneable way to reach a runtime from anywhere.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::{context, current_thread, multi_thread};
use crate::task::{
    spawn_unscheduled, spawn_unscheduled_fallible, JobError, Runnable, Scheduler, TaskOptions,
    Ticket,
};

/// A handle to a [`Runtime`](super::Runtime): spawn onto it from any
/// thread, inside or outside the runtime. Clones are cheap.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::new()?;
/// let handle = runtime.handle().clone();
/// let ticket = handle.spawn(async { 9 });
/// assert_eq!(ticket.wait(), Ok(9));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) kind: Kind,
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

    /// The runtime this thread is running in, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::Handle::try_current().is_none());
    /// deli::run(async {
    ///     assert!(deli::Handle::try_current().is_some());
    /// });
    /// ```
    pub fn try_current() -> Option<Handle> {
        context::with_current(Handle::clone)
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
    /// assert_eq!(handle.spawn(async {}).wait(), Err(deli::JobError::Shutdown));
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
        // Two arms rather than one over a function pointer: each flavour's
        // schedule function is a zero-sized item, which the task cell
        // stores for free and calls without an extra reference count.
        match &self.kind {
            Kind::MultiThread(shared) => {
                let scheduler: Arc<dyn Scheduler> = shared.clone();
                spawn_unscheduled(
                    future,
                    options,
                    scheduler,
                    Some(&shared.owned),
                    multi_thread::schedule,
                )
            }
            Kind::CurrentThread(shared) => {
                let scheduler: Arc<dyn Scheduler> = shared.clone();
                spawn_unscheduled(
                    future,
                    options,
                    scheduler,
                    Some(&shared.owned),
                    current_thread::schedule,
                )
            }
        }
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
        // Two arms for the reason given in `create_with`.
        match &self.kind {
            Kind::MultiThread(shared) => {
                let scheduler: Arc<dyn Scheduler> = shared.clone();
                spawn_unscheduled_fallible(
                    future,
                    options,
                    scheduler,
                    Some(&shared.owned),
                    multi_thread::schedule,
                )
            }
            Kind::CurrentThread(shared) => {
                let scheduler: Arc<dyn Scheduler> = shared.clone();
                spawn_unscheduled_fallible(
                    future,
                    options,
                    scheduler,
                    Some(&shared.owned),
                    current_thread::schedule,
                )
            }
        }
    }

    /// Runs a blocking call on this runtime's blocking pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// let ticket = runtime.handle().spawn_blocking(|| 2 + 2);
    /// assert_eq!(ticket.wait(), Ok(4));
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
        match &self.kind {
            Kind::MultiThread(shared) => &shared.blocking,
            Kind::CurrentThread(shared) => &shared.blocking,
        }
    }

    pub(crate) fn driver(&self) -> &Driver {
        match &self.kind {
            Kind::MultiThread(shared) => &shared.driver,
            Kind::CurrentThread(shared) => &shared.driver,
        }
    }

    /// Whether the runtime has shut down.
    pub fn is_shutdown(&self) -> bool {
        match &self.kind {
            Kind::MultiThread(shared) => shared.owned.is_closed(),
            Kind::CurrentThread(shared) => shared.owned.is_closed(),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flavor = match &self.kind {
            Kind::MultiThread(shared) => format!("multi-thread ({} workers)", shared.workers),
            Kind::CurrentThread(_) => "current-thread".to_owned(),
        };
        f.debug_struct("Handle").field("flavor", &flavor).finish()
    }
}
