//! `JobError`: why a ticket resolved without a value, and the two values
//! it can carry whole: a [`Panic`] (its payload, resumable) and a
//! [`Failure`] (a scope child's own typed error).

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::poison::IgnorePoison;

/// Why a [`Ticket`](crate::Ticket) resolved without the job's value.
///
/// Every kind of executor in deli reports failure through this one type, so
/// code that waits on a ticket handles an async task, a thread-pool job and
/// a process job the same way. The cause is never lost: a panic keeps its
/// payload ([`Panic`]), a scope child's error keeps its type ([`Failure`]),
/// a dead worker its exit status.
///
/// Two timeouts are told apart: [`TimedOut`](JobError::TimedOut) is the
/// *job's* deadline (the job was stopped), while
/// [`WaitTimedOut`](JobError::WaitTimedOut) is only a *wait* giving up
/// (the job runs on and its ticket can be waited on again).
///
/// A `JobError` is `Clone` and compares equal by what it says (a panic by
/// its message, a failure by its text); clones of a [`Panic`] share its
/// payload, which the first [`Panic::into_panic`] takes.
///
/// # Examples
///
/// ```
/// let result = deli::run(async {
///     deli::spawn(async { panic!("boom") }).await
/// });
/// match result {
///     Err(deli::JobError::Panicked(panic)) => assert_eq!(panic.message(), "boom"),
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
    /// The job panicked. In this process the [`Panic`] keeps the payload
    /// (resume it with [`Panic::resume`]); from a worker process or another
    /// machine it keeps the message.
    #[error("the job panicked: {0}")]
    Panicked(Panic),
    /// The worker process running the job died (exit status or signal).
    #[error("the worker running the job died: {0}")]
    WorkerDied(String),
    /// The job ran past its own deadline (a process job's
    /// [`timeout`](crate::process::ProcessPoolBuilder::timeout), a cluster
    /// job's) and was stopped: it will not produce a value.
    #[error("the job timed out")]
    TimedOut,
    /// A bounded wait ([`Ticket::wait_blocking_timeout`](crate::Ticket::wait_blocking_timeout))
    /// gave up before the job ended. The job is untouched and runs on; the
    /// ticket can be waited on again.
    #[error("the wait timed out; the job is still running")]
    WaitTimedOut,
    /// The executor shut down before the job finished.
    #[error("the executor shut down before the job finished")]
    Shutdown,
    /// A job in a worker process (or on another machine) returned an error;
    /// this is its text (the error's type stays on the other side).
    #[error("the job failed: {0}")]
    Remote(String),
    /// A [scope](crate::scope()) child returned an `Err`: the error itself,
    /// typed ([`Failure::downcast_ref`]).
    #[error("the job failed: {0}")]
    Failed(Failure),
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
    /// Turns a panic payload into [`JobError::Panicked`], keeping the
    /// payload.
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> JobError {
        JobError::Panicked(Panic::from_payload(payload))
    }

    /// Whether the job panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(async { deli::spawn(async { panic!("boom") }).await }).unwrap_err();
    /// assert!(error.is_panic());
    /// assert!(!deli::JobError::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, JobError::Panicked(_))
    }

    /// The panic's payload, to resume it with
    /// [`std::panic::resume_unwind`]; any other error comes back as it was.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(async { deli::spawn(async { panic!("boom") }).await }).unwrap_err();
    /// let payload = error.try_into_panic().unwrap();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send>, JobError> {
        match self {
            JobError::Panicked(panic) => Ok(panic.into_panic()),
            other => Err(other),
        }
    }
}

/// A job's panic: its message, and (for a panic in this process) its
/// payload, to resume it where the ticket is awaited.
///
/// Clones share the payload: the first [`into_panic`](Panic::into_panic)
/// (or [`resume`](Panic::resume)) takes it, later ones get the message as
/// a `String` payload. Two panics are equal when their messages are. A
/// `Panic` compares equal to a string with its message, so
/// `assert_eq!(panic, "boom")` reads as it should.
///
/// # Examples
///
/// ```
/// let error = deli::run(async { deli::spawn(async { panic!("boom") }).await }).unwrap_err();
/// let deli::JobError::Panicked(panic) = error else { unreachable!() };
/// assert_eq!(panic.message(), "boom");
/// assert_eq!(panic, "boom");
/// // Re-raise it on this thread, with the job's own payload:
/// let resumed = std::panic::catch_unwind(|| panic.resume());
/// assert_eq!(resumed.unwrap_err().downcast_ref::<&str>(), Some(&"boom"));
/// ```
#[derive(Clone)]
pub struct Panic {
    message: Arc<str>,
    payload: Arc<Payload>,
}

/// The shared payload; dropped where a panicking destructor cannot unwind
/// into a worker.
struct Payload(Mutex<Option<Box<dyn Any + Send>>>);

impl Drop for Payload {
    fn drop(&mut self) {
        let payload = self.0.get_mut().ignore_poison().take();
        // The payload's own destructor may panic (`panic_any` of a value
        // whose `Drop` panics); that must not unwind into a worker. A
        // payload from that second panic is leaked rather than dropped.
        if let Err(nested) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(payload)))
        {
            std::mem::forget(nested);
        }
    }
}

impl Panic {
    /// A panic that carries only a message: one reported by a worker process
    /// or another machine, whose payload stayed there. Its payload is the
    /// message, as a `String`.
    ///
    /// # Examples
    ///
    /// ```
    /// let panic = deli::task::Panic::from_message("boom");
    /// assert_eq!(panic.message(), "boom");
    /// assert_eq!(panic.into_panic().downcast_ref::<String>().map(String::as_str), Some("boom"));
    /// ```
    pub fn from_message(message: impl Into<String>) -> Panic {
        let message: String = message.into();
        Panic {
            message: Arc::from(message.as_str()),
            payload: Arc::new(Payload(Mutex::new(Some(Box::new(message))))),
        }
    }

    pub(crate) fn from_payload(payload: Box<dyn Any + Send>) -> Panic {
        let message = if let Some(text) = payload.downcast_ref::<&'static str>() {
            Arc::from(*text)
        } else if let Some(text) = payload.downcast_ref::<String>() {
            Arc::from(text.as_str())
        } else {
            Arc::from("a panic with a non-string payload")
        };
        Panic {
            message,
            payload: Arc::new(Payload(Mutex::new(Some(payload)))),
        }
    }

    /// The panic's message: the payload's text when it is a string (as
    /// `panic!` makes it), else a note that it is not.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(async { deli::spawn(async { panic!("at {}", 7) }).await }).unwrap_err();
    /// if let deli::JobError::Panicked(panic) = error {
    ///     assert_eq!(panic.message(), "at 7");
    /// }
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The panic's payload, as `catch_unwind` gave it (a clone that comes
    /// after the payload was taken gets the message, as a `String`).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(async {
    ///     deli::spawn(async { std::panic::panic_any(7_u32) }).await
    /// })
    /// .unwrap_err();
    /// let deli::JobError::Panicked(panic) = error else { unreachable!() };
    /// assert_eq!(panic.into_panic().downcast_ref::<u32>(), Some(&7));
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        let taken = self.payload.0.lock().ignore_poison().take();
        taken.unwrap_or_else(|| Box::new(self.message.to_string()))
    }

    /// Resumes the panic on this thread, with its payload
    /// ([`std::panic::resume_unwind`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(async { deli::spawn(async { panic!("boom") }).await }).unwrap_err();
    /// let deli::JobError::Panicked(panic) = error else { unreachable!() };
    /// let caught = std::panic::catch_unwind(move || panic.resume());
    /// assert!(caught.is_err());
    /// ```
    pub fn resume(self) -> ! {
        std::panic::resume_unwind(self.into_panic())
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Panic").field(&&*self.message).finish()
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl PartialEq for Panic {
    fn eq(&self, other: &Panic) -> bool {
        self.message == other.message
    }
}

impl Eq for Panic {}

impl PartialEq<str> for Panic {
    fn eq(&self, other: &str) -> bool {
        &*self.message == other
    }
}

impl PartialEq<&str> for Panic {
    fn eq(&self, other: &&str) -> bool {
        &*self.message == *other
    }
}

impl PartialEq<String> for Panic {
    fn eq(&self, other: &String) -> bool {
        *self.message == **other
    }
}

impl From<&str> for Panic {
    fn from(message: &str) -> Panic {
        Panic::from_message(message)
    }
}

impl From<String> for Panic {
    fn from(message: String) -> Panic {
        Panic::from_message(message)
    }
}

/// A scope child's own error, kept whole: its type survives to the ticket
/// ([`downcast_ref`](Failure::downcast_ref)), and the scope's
/// [`ScopeError`](crate::ScopeError) sees the same error.
///
/// Clones share the error. Two failures are equal when their texts are.
///
/// # Examples
///
/// ```
/// use std::io;
///
/// deli::run(async {
///     let _ = deli::scope(|s| async move {
///         let ticket = s.spawn(async { Err::<(), _>(io::Error::other("disk full")) });
///         match ticket.await {
///             Err(deli::JobError::Failed(failure)) => {
///                 let error = failure.downcast_ref::<io::Error>().unwrap();
///                 assert_eq!(error.kind(), io::ErrorKind::Other);
///             }
///             other => panic!("unexpected {other:?}"),
///         }
///     })
///     .await;
/// });
/// ```
#[derive(Clone)]
pub struct Failure {
    error: Arc<BoxError>,
}

/// A boxed error, whatever its type.
type BoxError = Box<dyn Error + Send + Sync + 'static>;

impl Failure {
    /// A failure carrying `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// let failure = deli::task::Failure::new(std::fmt::Error);
    /// assert!(failure.is::<std::fmt::Error>());
    /// ```
    pub fn new(error: impl Into<BoxError>) -> Failure {
        Failure {
            error: Arc::new(error.into()),
        }
    }

    pub(crate) fn from_shared(error: Arc<BoxError>) -> Failure {
        Failure { error }
    }

    /// The error, as the child returned it.
    ///
    /// # Examples
    ///
    /// ```
    /// let failure = deli::task::Failure::new(std::fmt::Error);
    /// assert_eq!(failure.get_ref().to_string(), std::fmt::Error.to_string());
    /// ```
    pub fn get_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &**self.error
    }

    /// Whether the error is an `E`.
    ///
    /// # Examples
    ///
    /// ```
    /// let failure = deli::task::Failure::new(std::fmt::Error);
    /// assert!(!failure.is::<std::io::Error>());
    /// ```
    pub fn is<E: Error + 'static>(&self) -> bool {
        self.error.is::<E>()
    }

    /// The error as an `E`, if it is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let failure = deli::task::Failure::new(std::io::Error::other("x"));
    /// assert_eq!(failure.downcast_ref::<std::io::Error>().unwrap().to_string(), "x");
    /// ```
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.error.downcast_ref::<E>()
    }

    /// The error itself, owned, when this is its last holder (no clone,
    /// no [`ScopeError`](crate::ScopeError) still holds it); else the
    /// failure back.
    ///
    /// # Examples
    ///
    /// ```
    /// let failure = deli::task::Failure::new(std::io::Error::other("x"));
    /// let error = failure.try_into_inner().unwrap();
    /// assert!(error.downcast::<std::io::Error>().is_ok());
    /// ```
    pub fn try_into_inner(self) -> Result<BoxError, Failure> {
        Arc::try_unwrap(self.error).map_err(|error| Failure { error })
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self.error, f)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self.error, f)
    }
}

/// A failure is an error whose text is the child's error's text; its
/// source is that error's source.
impl Error for Failure {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.source()
    }
}

impl PartialEq for Failure {
    fn eq(&self, other: &Failure) -> bool {
        Arc::ptr_eq(&self.error, &other.error) || self.to_string() == other.to_string()
    }
}

impl Eq for Failure {}

/// [`try_spawn`](crate::try_spawn) found no deli runtime on this thread;
/// the future, unpolled, is handed back.
///
/// # Examples
///
/// ```
/// let error = deli::try_spawn(async { 1 }).unwrap_err();
/// assert_eq!(error.to_string(), "no deli runtime is running on this thread");
/// // Run it somewhere else instead:
/// assert_eq!(deli::run(error.into_future()), 1);
/// ```
pub struct SpawnError<F> {
    future: F,
}

impl<F> SpawnError<F> {
    pub(crate) fn new(future: F) -> SpawnError<F> {
        SpawnError { future }
    }

    /// The future that was not spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// let future = deli::try_spawn(async { "later" }).unwrap_err().into_future();
    /// assert_eq!(deli::run(future), "later");
    /// ```
    pub fn into_future(self) -> F {
        self.future
    }
}

impl<F> fmt::Debug for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnError").finish_non_exhaustive()
    }
}

impl<F> fmt::Display for SpawnError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no deli runtime is running on this thread")
    }
}

impl<F> Error for SpawnError<F> {}

impl<F> From<SpawnError<F>> for JobError {
    fn from(_: SpawnError<F>) -> JobError {
        JobError::NoRuntime
    }
}
