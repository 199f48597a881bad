//! Worker processes: isolation and true parallelism for jobs that may
//! crash, leak or hang — deli's answer to `multiprocessing`.
//!
//! Jobs are functions marked `#[deli::job]`, registered at link time under
//! the stable name `module_path!()::function`. Workers are the same
//! executable, re-executed with a marker in the environment (never a fork
//! of the multi-threaded parent): [`init`] at the top of `main` turns such
//! a child into a worker. Arguments and values travel as postcard-encoded
//! serde values in length-prefixed, size-checked frames over two pipes.
//! Each job's [`Ticket`](crate::Ticket) works with
//! [`as_completed`](crate::as_completed) and [`wait_blocking`](crate::wait_blocking) like any
//! other.
//!
//! # The frame protocol
//!
//! A pool may also run a given program instead of this executable
//! ([`ProcessPoolBuilder::program`]), and take jobs as a name and raw bytes
//! ([`ProcessPool::submit_raw`]): any program that reads request frames
//! on fd 3 and writes reply frames on fd 4 is a worker. Frames are a
//! little-endian `u32` length and a payload; a request is a `u16` name
//! length, the job name and its argument bytes; a reply is a tag (0 value,
//! 1 error text, 2 panic text) and a body. The whole format — ordering,
//! flushing, limits, how deaths and malformed frames are reported — is
//! written down in `crates/deli/src/process/protocol.rs`.
//!
//! Layout: `registry` (jobs, [`Job`]), `frame` and `protocol` (the wire),
//! `batch` (several items in one request), `child` (the worker loop),
//! `spawn` (starting a child), `slot` (results and the ticket's future),
//! `shared` and `driver` (supervision), `pool` ([`ProcessPool`]) and `map`
//! (its lazy, chunked [`ProcessMap`] and [`ProcessMapUnordered`]). Uses `task` and `trace` (the driver records its jobs'
//! runs on each child's lane) and nothing else of deli.
//!
//! ```
//! #[deli::job]
//! fn fib(n: u32) -> u64 {
//!     if n < 2 { n as u64 } else { fib_local(n - 1) + fib_local(n - 2) }
//! }
//!
//! fn fib_local(n: u32) -> u64 {
//!     if n < 2 { n as u64 } else { fib_local(n - 1) + fib_local(n - 2) }
//! }
//!
//! fn main() {
//!     deli::process::init();
//!     let pool = deli::process::ProcessPool::new(2).unwrap();
//!     let values: Vec<u64> = pool.map(fib, 10..15).map(Result::unwrap).collect();
//!     assert_eq!(values, [55, 89, 144, 233, 377]);
//! }
//! ```

mod batch;
mod child;
mod driver;
mod frame;
mod map;
mod pool;
mod protocol;
mod registry;
mod shared;
mod slot;
mod spawn;

use std::sync::atomic::{AtomicBool, Ordering};

pub use map::{ProcessMap, ProcessMapUnordered};
pub use pool::{ProcessError, ProcessPool, ProcessPoolBuilder};
pub use registry::Job;
#[cfg(feature = "cluster")]
pub(crate) use slot::{decode_postcard, JobFuture, ResultSlot};

static INITIALIZED: AtomicBool = AtomicBool::new(false);

fn is_initialized() -> bool {
    INITIALIZED.load(Ordering::Acquire)
}

/// Call first thing in `main`: in a worker child this serves jobs and never
/// returns; in the parent it returns at once and allows building a
/// [`ProcessPool`]. `#[deli::main]` calls it for you.
///
/// # Examples
///
/// ```
/// // First thing in `main`:
/// deli::process::init();
/// // ... the program, which may now build process pools.
/// ```
pub fn init() {
    INITIALIZED.store(true, Ordering::Release);
    if std::env::var_os(spawn::WORKER_MARKER).is_some() {
        let frame_limit = std::env::var(spawn::FRAME_LIMIT_VAR)
            .ok()
            .and_then(|limit| limit.parse().ok())
            .unwrap_or(usize::MAX);
        child::serve(frame_limit);
    }
}

/// What `#[deli::job]` expands to refers to these; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use super::registry::{run_job, JobEntry, JOBS};
    pub use linkme;
    pub use linkme::distributed_slice;
}
