//! The runtime: the schedulers that poll tasks, and the handles to them.
//!
//! This module owns [`Runtime`], its [`Builder`] and [`Handle`]; the two
//! schedulers (`multi_thread` — work stealing, one worker per core — and
//! `current_thread`); the pieces they are made of (the local run `queue`s,
//! the `inject`ion queue, `idle` accounting, `park`ing, the `driver` a
//! parked worker polls, the monitor that compensates blocked workers and
//! its [`BlockedTask`] reports); the elastic `blocking` pool behind
//! [`spawn_blocking`]; and the [`LocalSet`] that runs futures which are not
//! `Send` on their own thread ([`spawn_local`], the `local` leaf); and the
//! look inside a running runtime: per-worker counters and the
//! [`RuntimeMetrics`] and [`Snapshot`] built from them (`metrics`, a leaf),
//! the task listing ([`Runtime::tasks`], [`dump`]) and the opt-in Unix
//! socket that serves snapshots to `deli top` (`inspect`, which uses
//! `handle`). It may use `task`, `io`, `time` and `trace` (its
//! threads name their trace lanes when they start; the monitor records its
//! reports there too).
//!
//! Inside, the arrows point one way: `runtime` (the type) and `builder` use
//! `context`, which uses `handle`, which uses the two schedulers, which use
//! the leaves here (`inject`, `park`, `driver`, `blocking`, `blocked`).
//! `scripts/runtime-imports.py` checks that no module imports back up.

mod blocked;
pub(crate) mod blocking;
mod builder;
pub(crate) mod context;
pub(crate) mod current_thread;
pub(crate) mod driver;
mod handle;
pub(crate) mod inject;
mod inspect;
mod local;
mod metrics;
pub(crate) mod multi_thread;
pub(crate) mod park;
// The type named after its module, as in tokio's layout: `Runtime` and
// its entry points, apart from the module's list of parts.
#[allow(clippy::module_inception)]
mod runtime;
mod task_builder;

pub use crate::task::TaskInfo;
pub use blocked::BlockedTask;
pub use builder::{Builder, Flavor};
pub use handle::Handle;
pub use local::{spawn_local, LocalSet, RunUntil};
pub use metrics::{RuntimeMetrics, Snapshot, WorkerMetrics};
pub use runtime::{dump, run, spawn, spawn_blocking, try_spawn, EnterGuard, Runtime};
pub use task_builder::{Start, TaskBuilder};
