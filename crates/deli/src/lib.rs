//! # deli
//!
//! One runtime for every kind of concurrency the classic guides teach:
//! sequential, concurrent threads, parallel workers and an asynchronous
//! event loop — with one [`Ticket`] type for every result, one set of
//! lifecycle [`State`]s, and a runtime that keeps going when a task blocks.
//!
//! This crate's asynchronous half: [`Runtime`] (work-stealing or
//! current-thread), [`spawn`], [`Ticket`], timers ([`sleep`], [`timeout`],
//! [`interval`]), the I/O reactor ([`io::Async`]) and [`spawn_blocking`].
//!
//! ```
//! use std::time::Duration;
//!
//! let total = deli::run(async {
//!     let tickets: Vec<_> = (1..=10u64)
//!         .map(|n| deli::spawn(async move {
//!             deli::sleep(Duration::from_millis(n)).await;
//!             n * n
//!         }))
//!         .collect();
//!     let mut total = 0;
//!     for ticket in tickets {
//!         total += ticket.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 385);
//! ```
//!
//! Layering (arrows point down): `runtime` uses `task`, `io` and `time`;
//! those three use nothing above them.

mod coop;
mod loom;

pub mod io;
pub mod runtime;
pub mod task;
pub mod time;

pub use runtime::{
    run, spawn, spawn_blocking, Builder, Flavor, Handle, Runtime, Start, TaskBuilder,
};
pub use task::{yield_now, JobError, State, TaskId, Ticket};
pub use time::{interval, sleep, sleep_until, timeout, Elapsed};

pub use deli_macros::{main, test};
