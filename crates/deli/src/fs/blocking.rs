//! The one bridge from `deli::fs` to the blocking pool: run a closure
//! that makes blocking file-system calls on [`spawn_blocking`] and turn a
//! failure of the pool itself (shut down, the closure panicked) into an
//! [`io::Error`], so every `fs` call returns the same error type.

use std::io;
use std::path::{Path, PathBuf};

use crate::task::JobError;
use crate::{spawn_blocking, Ticket};

/// Runs `call` on the blocking pool and waits for its result.
pub(super) async fn run_blocking<T, F>(call: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking(call).await.map_err(pool_error)?
}

/// Runs `call` on the blocking pool with its own copy of `path`: what
/// every one-path `std::fs` function becomes here.
pub(super) async fn on_path<T, P>(path: P, call: fn(PathBuf) -> io::Result<T>) -> io::Result<T>
where
    P: AsRef<Path>,
    T: Send + 'static,
{
    let path = path.as_ref().to_owned();
    run_blocking(move || call(path)).await
}

/// Starts `call` on the blocking pool without waiting for it.
pub(super) fn start_blocking<T, F>(call: F) -> Ticket<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_blocking(call)
}

/// The blocking pool could not run or finish a call: shutdown, a panic in
/// the closure, or a cancelled job. `Interrupted` would invite a retry that
/// cannot succeed, so these are `Other` with the pool's reason as source.
pub(super) fn pool_error(error: JobError) -> io::Error {
    io::Error::other(error)
}
