//! Tasks: the unit of work every deli executor runs, and the ticket that
//! carries its result back.
//!
//! This module owns the task cell (a single allocation, made by
//! [`async_task`], that holds the `Header`, the future and, once it is
//! done, the output), the lifecycle state machine ([`State`]), the wrapper
//! that polls a user future (panics caught, cancellation honoured, states
//! recorded, the poll given a fresh cooperative budget), the registry of
//! live tasks that shutdown and cancellation use, and [`Ticket`].
//!
//! It sits at the bottom of the crate: besides the leaves (`coop`, the
//! budget itself; `block_on`, which `Ticket::wait_blocking` parks in; `loom`) it
//! calls only [`trace`](crate::trace), its neighbour at the bottom, to
//! record each lifecycle transition (`Header::trace`; one relaxed load when
//! tracing is off). Schedulers plug in through the `Scheduler` trait and a
//! schedule function of their own.

mod cancel_handle;
pub(crate) mod clock;
mod current;
mod error;
mod harness;
mod header;
mod info;
mod owned;
mod spawn;
mod state;
mod ticket;
mod yield_now;

pub use current::is_cancel_requested;
pub(crate) use current::{current_id, CurrentTask};
pub use error::{Failure, JobError, Panic, SpawnError};
pub use header::TaskId;
pub(crate) use info::millis;
pub use info::TaskInfo;
pub use state::{ParseStateError, State};
pub use ticket::Ticket;
pub use yield_now::{yield_now, YieldNow};

pub(crate) use cancel_handle::CancelHandle;
pub(crate) use header::{Header, Scheduler, TaskKind};
pub(crate) use owned::{OwnedTasks, TaskIdentity};
pub(crate) use spawn::{
    schedule_through_header, spawn_closure, spawn_closure_fallible, spawn_local_unscheduled,
    spawn_unscheduled, spawn_unscheduled_fallible, TaskOptions,
};

/// A task ready to be polled, as the schedulers move it between queues.
pub(crate) type Runnable = async_task::Runnable<Header>;
