//! The thread pool for CPU-bound work, and the ways to collect tickets.
//!
//! This module owns [`ThreadPool`] (work-stealing threads of its own,
//! separate from the async workers), its [`ThreadPoolBuilder`],
//! [`ThreadPool::submit`], [`ThreadPool::join`], [`ThreadPool::map`], and
//! the collectors that work on tickets from any executor:
//! [`as_completed`], [`wait_blocking`] and [`wait_blocking_timeout`]. It uses `task` (the
//! task cell, [`Ticket`](crate::Ticket), the cancel flag) and `trace` (its
//! threads' lanes, its jobs' kind) and nothing else of deli.
//!
//! Inside, each pool thread has a lock-free deque of `join` halves (its
//! own newest first; thieves take the oldest) and all threads share one
//! queue of submitted jobs; idle threads steal, then sleep.
//!
//! ```
//! let pool = deli::ThreadPool::new(2).unwrap();
//!
//! // One job, one ticket.
//! assert_eq!(pool.submit(|| 6 * 7).wait_blocking(), Ok(42));
//!
//! // Many items, results in input order.
//! let squares: Vec<_> = pool.map(0..5u64, |n| n * n).map(Result::unwrap).collect();
//! assert_eq!(squares, [0, 1, 4, 9, 16]);
//!
//! // Divide and conquer over borrowed data.
//! let data: Vec<u64> = (1..=100).collect();
//! let (left, right) = data.split_at(50);
//! let (a, b) = pool.join(|| left.iter().sum::<u64>(), || right.iter().sum::<u64>());
//! assert_eq!(a + b, 5050);
//!
//! // Results in the order they finish.
//! let tickets: Vec<_> = (0..4u64).map(|n| pool.submit(move || n)).collect();
//! let mut total = 0;
//! for (_index, result) in deli::as_completed(tickets) {
//!     total += result.unwrap();
//! }
//! assert_eq!(total, 6);
//! ```

mod builder;
mod collect;
mod job;
mod join;
mod latch;
mod map;
mod shared;
mod sleep;
mod thread_pool;
mod worker;

pub use builder::{ThreadPoolBuilder, ThreadPoolError};
pub use collect::{
    as_completed, wait_blocking, wait_blocking_timeout, AsCompleted, Done, Pending, Return,
};
#[allow(deprecated)]
pub use collect::{wait, wait_timeout};
pub use map::Map;
pub use thread_pool::ThreadPool;

/// Whether the pool job (or task) running this code was asked to cancel.
///
/// A running job cannot be stopped from outside; a long one can call this
/// now and then and return early. Its ticket resolves to
/// [`JobError::Cancelled`](crate::JobError::Cancelled) whatever it returns.
/// Inside a `join` half it reports on the job that called `join` when the
/// half runs on that job's thread. Outside any job it is `false`.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
///
/// let pool = deli::ThreadPool::new(1).unwrap();
/// let (started, is_started) = mpsc::channel();
/// let ticket = pool.submit(move || {
///     started.send(()).unwrap();
///     while !deli::pool::is_cancelled() {
///         std::hint::spin_loop();
///     }
///     "stopped early"
/// });
/// is_started.recv().unwrap();
/// ticket.cancel();
/// assert_eq!(ticket.wait_blocking(), Err(deli::JobError::Cancelled));
/// ```
pub fn is_cancelled() -> bool {
    crate::task::is_cancel_requested()
}
