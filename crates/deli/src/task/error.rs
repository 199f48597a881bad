//! `JobError`: why a ticket resolved without a value.

/// Why a [`Ticket`](crate::Ticket) resolved without the job's value.
///
/// Every kind of executor in deli reports failure through this one type, so
/// code that waits on a ticket handles an async task, a thread-pool job and
/// a process job the same way. The cause is never lost: a panic keeps its
/// message, a dead worker its exit status.
///
/// # Examples
///
/// ```
/// let result = deli::run(async {
///     deli::spawn(async { panic!("boom") }).await
/// });
/// match result {
///     Err(deli::JobError::Panicked(message)) => assert_eq!(message, "boom"),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// The job was cancelled through [`Ticket::cancel`](crate::Ticket::cancel)
    /// (or by an enclosing scope) before it produced a value.
    #[error("the job was cancelled")]
    Cancelled,
    /// The job panicked; the payload's message is kept.
    #[error("the job panicked: {0}")]
    Panicked(String),
    /// The worker process running the job died (exit status or signal).
    #[error("the worker running the job died: {0}")]
    WorkerDied(String),
    /// The job ran past its deadline.
    #[error("the job timed out")]
    TimedOut,
    /// The executor shut down before the job finished.
    #[error("the executor shut down before the job finished")]
    Shutdown,
    /// The job itself returned an error; this is its text.
    #[error("the job failed: {0}")]
    Remote(String),
    /// The broker between this client and the machines that run its jobs
    /// (Redis, for `deli::cluster`) could not take the job
    /// or give back its outcome: unreachable, or refusing commands. The job
    /// may or may not have run; the text says what the broker answered.
    #[error("the broker is unavailable: {0}")]
    Broker(String),
    /// No live worker serves the job's name: nothing advertised it within
    /// the pool's no-worker deadline, and the job was withdrawn unrun. The
    /// text is the job's name.
    #[error("no worker serves job `{0}`")]
    NoWorker(String),
    /// The job was submitted where no deli runtime was running.
    #[error("no deli runtime is running on this thread")]
    NoRuntime,
    /// The work was offered to a [scope](crate::scope()) that had already
    /// ended; it never started.
    #[error("the scope has ended and takes no more children")]
    ScopeClosed,
    /// The ticket's result had already been taken by an earlier wait.
    #[error("the ticket's result was already taken")]
    AlreadyTaken,
}

impl JobError {
    /// Turns a panic payload into [`JobError::Panicked`], keeping its message
    /// when it is a string (as `panic!` makes it).
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>) -> JobError {
        let message = if let Some(text) = payload.downcast_ref::<&'static str>() {
            (*text).to_owned()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "a panic with a non-string payload".to_owned()
        };
        // The payload's own destructor may panic (`panic_any` of a value
        // whose `Drop` panics); that must not unwind into a worker. A payload
        // from that second panic is leaked rather than dropped.
        if let Err(nested) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)))
        {
            std::mem::forget(nested);
        }
        JobError::Panicked(message)
    }
}
