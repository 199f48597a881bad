//! Child processes on deli's reactor: [`Command`] to start one, [`Child`]
//! to talk to it and wait for it, its piped [`ChildStdin`], [`ChildStdout`]
//! and [`ChildStderr`].
//!
//! Named `subprocess` so as not to clash with [`crate::process`], the
//! worker-process pool.
//!
//! This module owns starting programs (through `std::process::Command`,
//! which uses posix_spawn or a safe fork and exec), the parent's ends of
//! their pipes (non-blocking, registered with the reactor, implementing
//! `futures_io::AsyncRead`/`AsyncWrite` and, under the `tokio-io` feature,
//! tokio's traits), and reaping. It may use [`crate::io`] ([`Async`](crate::io::Async)
//! over pipes and pidfds), [`crate::signal`] (SIGCHLD) and the runtime's
//! [`Handle`](crate::Handle) (to adopt dropped children); nothing below it
//! imports it.
//!
//! Reaping, without a thread per child:
//! - **pidfd** (Linux 5.3 and later): each child gets a pidfd from
//!   `pidfd_open`, registered with the reactor; it turns readable when the
//!   child ends, and the waiting task collects the status with
//!   `waitpid(pid, WNOHANG)`.
//! - **SIGCHLD** (older kernels, sandboxes that forbid `pidfd_open`, or
//!   [`Command::use_pidfd`]`(false)`): each waiting child holds a
//!   [`signal`](crate::signal::signal) listener of SIGCHLD, and every
//!   SIGCHLD makes it try `waitpid(pid, WNOHANG)` on its own pid.
//!
//! Neither path calls `waitpid(-1)`, which would steal the children of
//! other code (deli's process pool, or a library's own). A [`Child`]
//! dropped before it was reaped is adopted by a task on its runtime, which
//! reaps it when it ends; [`Command::kill_on_drop`] kills it first. If the
//! runtime shuts down while such a child runs, the child goes on a
//! process-wide orphan list that the next [`Command::spawn`] or reaped
//! child sweeps.
//!
//! Errors are `std::io::Error`s with the system's kind: a missing program
//! is [`NotFound`](std::io::ErrorKind::NotFound), a program that is not
//! executable [`PermissionDenied`](std::io::ErrorKind::PermissionDenied), a
//! write to a child that closed its stdin
//! [`BrokenPipe`](std::io::ErrorKind::BrokenPipe).
//!
//! ```
//! use std::os::unix::process::ExitStatusExt;
//!
//! use deli::subprocess::{Command, Stdio};
//!
//! # fn main() -> std::io::Result<()> {
//! deli::run(async {
//!     // Feed a child and read it back.
//!     let mut child = Command::new("tr")
//!         .args(["a-z", "A-Z"])
//!         .stdin(Stdio::piped())
//!         .stdout(Stdio::piped())
//!         .spawn()?;
//!     child.stdin.take().unwrap().write_all(b"loud\n").await?;
//!     let output = child.wait_with_output().await?;
//!     assert_eq!(output.stdout, b"LOUD\n");
//!
//!     // A killed child reports the signal.
//!     let mut sleeper = Command::new("sleep").arg("1000").spawn()?;
//!     sleeper.kill().await?;
//!     assert_eq!(sleeper.wait().await?.signal(), Some(libc::SIGKILL));
//!     Ok(())
//! })
//! # }
//! ```

mod child;
mod command;
mod pipes;
mod reap;

pub use child::Child;
pub use command::Command;
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};
pub use std::process::{ExitStatus, Output, Stdio};
