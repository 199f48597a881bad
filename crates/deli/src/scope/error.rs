//! [`ScopeError`]: why a scope ended without its body's value.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::task::{Failure, TaskId};

/// A boxed error from a child, whatever its type.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// What kind of work a scope child was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// An async task, from [`Scope::spawn`](super::Scope::spawn).
    Async,
    /// A thread-pool job, from [`Scope::submit`](super::Scope::submit).
    Pool,
    /// A process-pool job, from [`Scope::submit_job`](super::Scope::submit_job).
    Process,
    /// The scope's body itself (its `Err`).
    Body,
}

/// One child's failure: its error (a panic is a
/// [`JobError::Panicked`](crate::JobError::Panicked)), which child it was.
///
/// # Examples
///
/// ```
/// use deli::scope::ChildKind;
///
/// let result = deli::run(deli::scope(|s| async move {
///     s.spawn(async { Err::<(), _>("no luck") });
/// }));
/// let error = result.unwrap_err();
/// let failure = error.first().unwrap();
/// assert_eq!(failure.kind(), ChildKind::Async);
/// assert_eq!(failure.error().to_string(), "no luck");
/// ```
#[derive(Debug)]
pub struct ChildFailure {
    pub(crate) task: TaskId,
    pub(crate) kind: ChildKind,
    /// Shared with the child's ticket (its [`JobError::Failed`](crate::JobError::Failed)).
    pub(crate) error: Arc<BoxError>,
}

impl ChildFailure {
    /// The child's task id (its ticket's [`id`](crate::Ticket::id)).
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(deli::scope(|s| async move {
    ///     s.spawn(async { Err::<(), _>("bad") });
    /// }))
    /// .unwrap_err();
    /// println!("child {} failed", error.first().unwrap().task());
    /// ```
    pub fn task(&self) -> TaskId {
        self.task
    }

    /// What kind of work the child was.
    ///
    /// # Examples
    ///
    /// ```
    /// fn boom() {
    ///     panic!("boom")
    /// }
    ///
    /// let error = deli::run(deli::scope(|s| async move {
    ///     s.spawn(async { boom() });
    /// }))
    /// .unwrap_err();
    /// assert_eq!(error.first().unwrap().kind(), deli::scope::ChildKind::Async);
    /// ```
    pub fn kind(&self) -> ChildKind {
        self.kind
    }

    /// The child's error.
    ///
    /// # Examples
    ///
    /// ```
    /// fn boom() {
    ///     panic!("boom")
    /// }
    ///
    /// let error = deli::run(deli::scope(|s| async move {
    ///     s.spawn(async { boom() });
    /// }))
    /// .unwrap_err();
    /// let cause = error.first().unwrap().error();
    /// assert_eq!(
    ///     cause.downcast_ref::<deli::JobError>(),
    ///     Some(&deli::JobError::Panicked("boom".into()))
    /// );
    /// ```
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &**self.error
    }

    /// The child's error, owned — unless the child's ticket still holds it
    /// (in its [`JobError::Failed`](crate::JobError::Failed)): then a
    /// [`Failure`] that shares it. [`error`](ChildFailure::error)
    /// downcasts to the child's own type either way.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(deli::scope(|s| async move {
    ///     let ticket = s.spawn(async { Err::<(), _>(std::io::Error::other("disk")) });
    ///     drop(ticket.await);
    /// }))
    /// .unwrap_err();
    /// let cause = error.into_failures().remove(0).into_error();
    /// assert!(cause.downcast::<std::io::Error>().is_ok());
    /// ```
    pub fn into_error(self) -> BoxError {
        Arc::try_unwrap(self.error).unwrap_or_else(|shared| Box::new(Failure::from_shared(shared)))
    }
}

impl fmt::Display for ChildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} child {} failed: {}",
            self.kind, self.task, self.error
        )
    }
}

/// Why a [`scope`](crate::scope()) ended without its body's value: the
/// children that failed — the first failure first (it is what cancelled the
/// rest), then every other child that failed before it stopped — or, with
/// no failure at all, a cancellation (an enclosing
/// [`CancelScope`](super::CancelScope) or deadline, or
/// [`Scope::cancel`](super::Scope::cancel)) that cut the body or a child short.
///
/// # Examples
///
/// ```
/// let result = deli::run(deli::scope(|s| async move {
///     s.spawn(async { Err::<(), _>("first") });
/// }));
/// let error = result.unwrap_err();
/// assert!(!error.is_cancelled());
/// assert_eq!(error.failures().len(), 1);
/// assert!(error.to_string().ends_with("failed: first"));
/// ```
#[derive(Debug)]
pub struct ScopeError {
    failures: Vec<ChildFailure>,
}

impl ScopeError {
    pub(crate) fn failed(failures: Vec<ChildFailure>) -> ScopeError {
        ScopeError { failures }
    }

    pub(crate) fn cancelled() -> ScopeError {
        ScopeError {
            failures: Vec::new(),
        }
    }

    /// Whether the scope was cancelled from outside with no child failing.
    ///
    /// # Examples
    ///
    /// ```
    /// let result = deli::run(deli::scope(|s| async move {
    ///     s.cancel();
    ///     std::future::pending::<()>().await;
    /// }));
    /// assert!(result.unwrap_err().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.failures.is_empty()
    }

    /// The failure that cancelled the rest of the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(deli::scope(|s| async move {
    ///     s.spawn(async { Err::<(), _>("only") });
    /// }))
    /// .unwrap_err();
    /// assert_eq!(error.first().unwrap().error().to_string(), "only");
    /// ```
    pub fn first(&self) -> Option<&ChildFailure> {
        self.failures.first()
    }

    /// Every failure, the first one first.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(deli::scope(|s| async move {
    ///     s.spawn(async { Err::<(), _>("a") });
    /// }))
    /// .unwrap_err();
    /// assert_eq!(error.failures().len(), 1);
    /// ```
    pub fn failures(&self) -> &[ChildFailure] {
        &self.failures
    }

    /// Every failure, owned, the first one first.
    ///
    /// # Examples
    ///
    /// ```
    /// let error = deli::run(deli::scope(|s| async move {
    ///     s.spawn(async { Err::<(), _>("a") });
    /// }))
    /// .unwrap_err();
    /// assert_eq!(error.into_failures().len(), 1);
    /// ```
    pub fn into_failures(self) -> Vec<ChildFailure> {
        self.failures
    }
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.failures.split_first() {
            None => f.write_str("the scope was cancelled"),
            Some((first, [])) => write!(f, "{first}"),
            Some((first, rest)) => write!(f, "{first} (and {} more failed)", rest.len()),
        }
    }
}

impl Error for ScopeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.failures
            .first()
            .map(|failure| &**failure.error as &(dyn Error + 'static))
    }
}
