//! Unix signals as async values: [`ctrl_c`] and [`signal`], a stream of
//! one signal's deliveries.
//!
//! This module owns the signal listeners: for each [`Signal`], one action
//! registered with the process-wide handler of `signal-hook-registry` and
//! one socket pair whose read end sits on deli's reactor. It may use
//! [`crate::io`] ([`Async`](crate::io::Async) over the read end) and
//! nothing above it; [`crate::subprocess`] uses it for its SIGCHLD
//! fallback.
//!
//! What the handler does: nothing but one non-blocking `send` of one byte
//! to the listener's socket (`send` is async-signal-safe; the registry
//! saves and restores `errno` around it). The byte makes the read end
//! readable, the reactor wakes the task waiting in [`Signal::recv`], and
//! the task drains the socket. No thread is spent on signals, and no lock
//! or allocation happens in the handler.
//!
//! Semantics, as tokio's:
//! - **Coalescing**: deliveries that arrive between two polls of one
//!   listener are seen as one `recv`. Every delivery after a listener was
//!   created is seen by at least one later `recv` of that listener;
//!   deliveries before it was created are not seen.
//! - **Every listener is woken**: several listeners of one signal, in one
//!   runtime or in several, each see every delivery.
//! - **The default action is gone for good**: once a listener of a signal
//!   has existed, the process keeps deli's handler for it, even after the
//!   last listener is dropped; a SIGINT or SIGTERM then no longer ends the
//!   process unless a listener acts on it (`signal-hook-registry` does not
//!   restore the previous disposition).
//! - **Refused signals**: SIGKILL and SIGSTOP cannot be caught; SIGSEGV,
//!   SIGILL and SIGFPE are faults that a handler which returns would only
//!   repeat; the real-time signals the C library keeps for itself and
//!   numbers outside 1..=SIGRTMAX are not signals one can listen to. All
//!   of them are refused with an error of kind
//!   [`InvalidInput`](std::io::ErrorKind::InvalidInput) whose inner error is
//!   a [`SignalError`].
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! deli::run(async {
//!     let mut hangups = deli::signal::signal(deli::signal::SignalKind::hangup())?;
//!     while hangups.recv().await.is_some() {
//!         println!("reloading the configuration");
//!     }
//!     Ok(())
//! })
//! # }
//! ```

mod error;
mod kind;
mod listener;

pub use error::SignalError;
pub use kind::SignalKind;
pub use listener::Signal;

use std::io;

/// Starts listening for `kind`: the returned [`Signal`] sees every
/// delivery of that signal to this process from now on.
///
/// Must be called inside a deli runtime (the listener waits on its
/// reactor); outside one it fails with an error of kind
/// [`Other`](io::ErrorKind::Other). A signal that cannot be listened to
/// fails with kind [`InvalidInput`](io::ErrorKind::InvalidInput) and a
/// [`SignalError`] inside.
///
/// # Examples
///
/// ```
/// use deli::signal::{signal, SignalError, SignalKind};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let mut usr2 = signal(SignalKind::user_defined2())?;
///     // The listener exists already, so the default action never runs.
///     // SAFETY: `raise` has no memory-safety preconditions.
///     unsafe { libc::raise(libc::SIGUSR2) };
///     assert_eq!(usr2.recv().await, Some(()));
///
///     let refused = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
///     assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
///     let inner = refused.get_ref().and_then(|e| e.downcast_ref::<SignalError>());
///     assert_eq!(inner, Some(&SignalError::Forbidden(libc::SIGKILL)));
///     Ok(())
/// })
/// # }
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    Signal::new(kind)
}

/// Waits for the next Ctrl-C (SIGINT) delivered to this process.
///
/// The listener is created on the first poll; a SIGINT before that is not
/// seen, and after it SIGINT no longer ends the process by itself (see the
/// [module docs](self)). To not miss one that arrives while the program is
/// busy elsewhere, keep a [`signal`]`(SignalKind::interrupt())` listener
/// instead.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     println!("press Ctrl-C to stop");
///     deli::signal::ctrl_c().await?;
///     println!("stopping");
///     Ok(())
/// })
/// # }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = Signal::new(SignalKind::interrupt())?;
    interrupts
        .recv()
        .await
        .ok_or_else(|| io::Error::other("deli runtime has shut down"))
}
