//! Readiness-based I/O on deli's reactor: [`Async`] wraps a non-blocking
//! `mio` source and lets tasks wait until it can be read or written.
//!
//! This module owns the reactor over `mio`:
//! - `Driver`, which owns the `mio::Poll` and is turned by whichever runtime
//!   worker would otherwise park (there is no dedicated I/O thread);
//! - the shared `Reactor`: the `mio::Registry`, the `mio::Waker` that
//!   interrupts a blocked turn, and the table of registrations;
//! - per-registration readiness (an atomic word plus one reader and one
//!   writer waker slot) and the public [`Async`] wrapper built on it;
//! - the thread-local "current reactor" (`enter`, `current`).
//!
//! It is a low module: it may use `crate::loom`, `mio`, `slab`, `thiserror`
//! and `std`, and nothing from the runtime, timers, pools or anything above.
//!
//! How readiness flows: the driver receives an event for a token, finds the
//! registration (slab key plus generation, so late events for a dropped
//! registration are ignored), records the readiness bits and bumps a tick in
//! the registration's atomic word, takes the wakers of the sides the event
//! concerns, releases its locks and wakes them. A task polls readiness with
//! a single atomic load when it is already ready; it clears readiness only
//! after its operation returned `WouldBlock`, and only if no event arrived
//! in between (the tick is unchanged), so no edge-triggered event is lost.

mod async_source;
pub(crate) mod byte_stream;
mod current;
mod driver;
mod error;
mod reactor;
mod readiness;
mod registration;
mod stdio;
mod token;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

pub use async_source::Async;
pub(crate) use byte_stream::{impl_async_read, impl_async_write, PollRead, PollWrite};
#[cfg(all(test, not(loom)))]
pub(crate) use current::current;
pub(crate) use current::enter;
#[allow(unused_imports)] // for the runtime, to name the guard it keeps
pub(crate) use current::EnterGuard;
pub(crate) use driver::Driver;
#[allow(unused_imports)] // for the runtime, to tell a shutdown error from others
pub(crate) use error::ReactorError;
pub(crate) use reactor::Reactor;
pub use stdio::{stderr, stdin, stdout, Lines, Stderr, Stdin, Stdout};
