//! Why a signal cannot be listened to.

use thiserror::Error;

/// Why [`signal`](super::signal) refused a signal. It comes inside an
/// [`io::Error`](std::io::Error) of kind
/// [`InvalidInput`](std::io::ErrorKind::InvalidInput); reach it with
/// `get_ref()` and `downcast_ref`.
///
/// # Examples
///
/// ```
/// use deli::signal::{signal, SignalError, SignalKind};
///
/// deli::run(async {
///     let error = signal(SignalKind::from_raw(100_000)).unwrap_err();
///     let why = error.get_ref().and_then(|e| e.downcast_ref::<SignalError>());
///     assert_eq!(why, Some(&SignalError::OutOfRange(100_000)));
/// });
/// ```
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignalError {
    /// SIGKILL or SIGSTOP, which no handler can catch, or SIGSEGV, SIGILL
    /// or SIGFPE, faults that a handler which returns would only repeat.
    #[error("signal {0} cannot be listened to: it cannot be caught, or it is a fault")]
    Forbidden(i32),
    /// A number that is not a signal here: outside 1..=SIGRTMAX.
    #[error("{0} is not a signal number on this system")]
    OutOfRange(i32),
    /// A real-time signal the C library keeps for its own use (below
    /// SIGRTMIN).
    #[error("signal {0} is reserved by the C library")]
    Reserved(i32),
}
