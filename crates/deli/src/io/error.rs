//! Why a reactor operation failed, carried inside `std::io::Error` so that
//! I/O signatures stay `io::Result` while callers can still tell the cases
//! apart (`err.get_ref()` downcasts to [`ReactorError`]).

use std::io;

/// A failure of the reactor itself rather than of the operating system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReactorError {
    /// The runtime shut down; no readiness will be delivered any more.
    #[error("deli runtime has shut down")]
    Shutdown,
    /// I/O objects need a reactor, and this thread is not running one.
    #[error(
        "no deli runtime on this thread: create I/O objects inside `deli::run` \
         or a task spawned on a deli runtime"
    )]
    NoRuntime,
    /// Every registration key is in use.
    #[error("too many I/O registrations on one deli runtime")]
    TooManyRegistrations,
}

impl ReactorError {
    /// Whether `err` was produced from this reactor error.
    #[allow(dead_code)] // used by tests now and by the runtime when it maps errors
    pub(crate) fn matches(self, err: &io::Error) -> bool {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<ReactorError>())
            == Some(&self)
    }
}

impl From<ReactorError> for io::Error {
    fn from(err: ReactorError) -> io::Error {
        io::Error::other(err)
    }
}
