//! Sync: the primitives that concurrent code shares data through — locks,
//! a semaphore, events, barriers, channels and a queue — each usable from
//! deli's async tasks, from any other executor's tasks and from plain
//! threads, over the same object.
//!
//! | primitive | async | blocking (plain threads) | never waits |
//! |---|---|---|---|
//! | [`Mutex`] | `lock`, `lock_owned` | `lock_blocking`, `lock_blocking_timeout` | `try_lock`, `try_lock_owned` |
//! | [`RwLock`] | `read`, `write` | `read_blocking`, `write_blocking`, `…_blocking_timeout` | `try_read`, `try_write` |
//! | [`Semaphore`] | `acquire[_many][_owned]` | `acquire[_many]_blocking`, `acquire[_many]_blocking_timeout` | `try_acquire[_many][_owned]` |
//! | [`Event`] | `wait` | `wait_blocking`, `wait_blocking_timeout` | `is_set` |
//! | [`Notify`] | `notified` | `notified_blocking`, `notified_blocking_timeout` | `try_notified` |
//! | [`Barrier`] | `wait` | `wait_blocking` | — |
//! | [`mpsc`] | `send`, `recv` | `send_blocking`, `send_blocking_timeout`, `recv_blocking`, `recv_blocking_timeout` | `try_send`, `try_recv` |
//! | [`oneshot`] | `.await` the receiver | `recv_blocking`, `recv_blocking_timeout` | `send`, `try_recv` |
//! | [`broadcast`] | `recv` | `recv_blocking`, `recv_blocking_timeout` | `send`, `try_recv` |
//! | [`watch`] | `changed` | `changed_blocking`, `changed_blocking_timeout` | `send`, `borrow`, `has_changed` |
//! | [`Queue`] | `put`, `get`, `join` | `put_blocking`, `get_blocking`, `join_blocking`, `…_blocking_timeout` | `try_put`, `try_get`, `task_done` |
//!
//! **Closing never hangs.** Dropping (or closing) the other side of a
//! channel ends every wait on this side with a typed error: a send gets
//! [`SendError`] with its value back, a receive gets `None` once nothing
//! is left ([`mpsc`], as in tokio, so `while let Some(v) = rx.recv().await`
//! drains a channel), [`RecvError`] for the others
//! ([`broadcast::RecvError::Closed`] for broadcast).
//! A closed [`Semaphore`] fails its waiters with [`AcquireError`]; a closed
//! [`Queue`] fails puts and, once drained, gets.
//!
//! **Cancel-safety.** Every async method's documentation says what happens
//! if its future is dropped before it finishes (for example inside
//! [`timeout`](crate::time::timeout) or when a scope cancels). In short:
//! every wait here is cancel-safe — a dropped `lock`, `acquire` or
//! `notified` holds nothing and passes any wake-up on, a dropped `recv` or
//! `get` loses no value, a dropped `send` or `put` did not send (the value
//! is dropped with it) — except [`Barrier::wait`], which counts its party
//! as arrived on first poll.
//!
//! **Fair to neighbours.** Waits that may complete at once — `send`,
//! `recv`, `lock`, `read`, `write`, `acquire`, `put`, `get`, `changed` —
//! spend one unit of the task's cooperative budget, as deli's sockets and
//! timers do: a loop that always finds a value ready still yields its
//! worker every so often, instead of holding it (which the monitor would
//! take for a blocked worker).
//!
//! **Blocking forms** are the async method run on the calling thread,
//! which parks while it waits; they are for plain threads. Called inside an
//! async task they stall that worker (deli's monitor compensates, but a
//! lock held by a task on the same worker may then never come free): await
//! there instead. The bounded forms are blocking too, and say so: they end
//! in `_blocking_timeout` (the older `_timeout` names remain, deprecated);
//! from async code, wrap the async method in [`deli::timeout`](crate::timeout).
//!
//! **What is built on what.** [`Semaphore`], [`Mutex`] and [`RwLock`] share
//! one fair permit pool of our own (`permits`: free permits in one atomic
//! word, a FIFO line of waiters under a `parking_lot` mutex only when
//! someone waits, permits handed straight to the first waiter); [`mpsc`] is
//! our own too (a `crossbeam-queue` queue for the values, the permit pool
//! for the room, an `atomic-waker` slot for the receiver); [`Notify`] is a
//! `std` mutex over our FIFO wait list and [`oneshot`] a `std` mutex over
//! one slot; [`Barrier`] wraps `async-lock`, [`broadcast`] wraps
//! `async-broadcast`, and [`Event`], [`watch`] and [`Queue`] are a `std`
//! lock plus `event-listener`. Ours replaced wrappers of `async-lock` and
//! `async-channel` where the `sync` suite of `deli-bench` (mpsc, semaphore
//! and mutex against `tokio::sync`) measured them at 1.5–2.4× tokio's time.
//! Their wake-up logic is easy to get wrong, so it takes its atomics and
//! mutexes from `crate::loom` and has loom models (`loom_permits_*`,
//! `loom_semaphore_*`, `loom_mpsc_*`, `loom_notify_*`, `loom_oneshot_*`)
//! that check no wake-up, permit or value is lost when a wait races a
//! release, a cancel or a close.
//!
//! This module owns these primitives and uses nothing else in deli but the
//! leaves `block_on`, `coop`, `loom` and `wake_batch`; its futures need no runtime and
//! no timer.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use deli::sync::{mpsc, Mutex, Semaphore};
//!
//! let limit = Arc::new(Semaphore::new(2));
//! let log = Arc::new(Mutex::new(Vec::new()));
//! let (done, mut finished) = mpsc::unbounded();
//! deli::run(async {
//!     for n in 0..5 {
//!         let (limit, log, done) = (limit.clone(), log.clone(), done.clone());
//!         deli::spawn(async move {
//!             let _permit = limit.acquire().await.unwrap();
//!             log.lock().await.push(n);
//!             done.send(n).await.unwrap();
//!         });
//!     }
//!     drop(done);
//!     let mut seen = 0;
//!     while finished.recv().await.is_some() {
//!         seen += 1;
//!     }
//!     assert_eq!(seen, 5);
//! });
//! assert_eq!(log.lock_blocking().len(), 5);
//! ```

mod barrier;
mod blocking_waits;
pub mod broadcast;
mod error;
mod event;
mod lock_cell;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod permits;
mod queue;
mod rwlock;
pub mod semaphore;
mod wait_for;
mod wait_list;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use error::{
    RecvError, RecvTimeoutError, SendError, SendTimeoutError, TryRecvError, TrySendError,
};
pub use event::Event;
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use queue::{Queue, TaskDoneError};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, AcquireTimeoutError, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TryAcquireError,
};
