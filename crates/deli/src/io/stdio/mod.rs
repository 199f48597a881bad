//! The process's standard streams for async code: [`stdin`] (with line
//! reading: [`Stdin::read_line`], [`Stdin::lines`]), [`stdout`] and
//! [`stderr`].
//!
//! Every read and write runs on the runtime's blocking pool
//! ([`spawn_blocking`](crate::spawn_blocking)), as tokio does, rather than
//! on the reactor: the standard streams may be a regular file (`< input`,
//! `> log`), which epoll refuses to register (`EPERM`), or a terminal or
//! pipe shared with other processes, where switching the descriptor to
//! non-blocking mode would change it for them too (a shell left with a
//! non-blocking terminal breaks). A blocking call on a pool thread works
//! for every kind of descriptor and leaves its mode alone.
//!
//! The calls go through `std::io::stdin()` / `stdout()` / `stderr()`, so
//! they share std's locks and buffers: a line read by
//! [`Stdin::read_line`] takes exactly one line from std's buffer, so the
//! rest stays there for the next reader, deli's or std's, and a new
//! [`stdin()`] handle per call loses nothing. Writes are write-behind: a
//! write copies into the handle's buffer, starts a blocking write if none
//! is running and returns; bytes written while one runs are coalesced into
//! the next. [`Stdout::flush`] waits until everything reached the
//! descriptor and returns the error of any failed write (a closed pipe is
//! [`BrokenPipe`](std::io::ErrorKind::BrokenPipe)).
//!
//! This sits in `io` because it is I/O, but unlike the reactor it uses the
//! runtime's blocking pool (a layer above); it uses nothing else of deli.

mod stdin;
mod writer;

pub use stdin::{stdin, Lines, Stdin};
pub use writer::{stderr, stdout, Stderr, Stdout};
