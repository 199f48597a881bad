//! `TaskBuilder`: spawn with a name, or create a task without starting it.

use std::future::Future;
use std::panic::Location;

use super::context;
use super::handle::Handle;
use crate::task::{JobError, Runnable, TaskKind, TaskOptions, Ticket};

/// Options for one task: a name (shown in traces and blocking reports),
/// and the choice to create it without starting it.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let ticket = deli::TaskBuilder::new().name("greeter").spawn(async { "hi" });
///     assert_eq!(ticket.await, Ok("hi"));
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct TaskBuilder {
    name: Option<Box<str>>,
}

impl TaskBuilder {
    /// A builder with no name.
    pub fn new() -> TaskBuilder {
        TaskBuilder::default()
    }

    /// Names the task.
    pub fn name(mut self, name: impl Into<String>) -> TaskBuilder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    #[track_caller]
    fn options(self) -> TaskOptions {
        TaskOptions {
            name: self.name,
            spawned_at: Location::caller(),
            kind: TaskKind::Async,
        }
    }

    /// Spawns onto the current runtime (see [`crate::spawn`]).
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Ticket<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let options = self.options();
        let mut future = Some(future);
        context::with_current(|handle| match future.take() {
            Some(future) => handle.spawn_with(future, options),
            None => Ticket::failed(JobError::NoRuntime),
        })
        .unwrap_or_else(|| Ticket::failed(JobError::NoRuntime))
    }

    /// Spawns onto the runtime behind `handle`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> Ticket<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_with(future, self.options())
    }

    /// Creates the task on `handle`'s runtime without starting it: it stays
    /// [`State::New`](crate::State::New) until [`Start::start`] queues it.
    /// Dropping the [`Start`] instead cancels the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::new()?;
    /// let (ticket, start) = deli::TaskBuilder::new().create_on(async { 1 }, runtime.handle());
    /// assert_eq!(ticket.state(), deli::State::New);
    /// start.start();
    /// assert_eq!(ticket.wait_blocking(), Ok(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn create_on<F>(self, future: F, handle: &Handle) -> (Ticket<F::Output>, Start)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match handle.create_with(future, self.options()) {
            Ok((runnable, ticket)) => (
                ticket,
                Start {
                    task: Some(runnable),
                },
            ),
            Err(error) => (Ticket::failed(error), Start { task: None }),
        }
    }
}

/// The right to start a task made by [`TaskBuilder::create_on`].
#[derive(Debug)]
pub struct Start {
    task: Option<Runnable>,
}

impl Start {
    /// Queues the task: it becomes Ready and runs like any spawned task.
    pub fn start(mut self) {
        if let Some(task) = self.task.take() {
            // Made a while ago: its Ready is not at the time it was made.
            crate::trace::time_passes();
            task.schedule();
        }
    }
}

impl Drop for Start {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Never started: the ticket says Cancelled, not Shutdown.
            task.metadata().state.request_cancel();
            drop(task);
        }
    }
}
