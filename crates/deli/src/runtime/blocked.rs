//! [`BlockedTask`]: the report of a task that held its worker thread for
//! longer than the monitor's threshold, and the callback type that receives
//! it. Plain data; the monitor (in `multi_thread`) fills it in.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::task::TaskId;

/// One episode of a task blocking its worker: a single poll that ran longer
/// than the monitor's threshold (a long computation, a blocking call).
///
/// The monitor reports each episode twice, to [`Builder::on_blocked`] and
/// as `tracing` events: once when it notices (`is_over() == false`,
/// [`duration`](BlockedTask::duration) so far) and once when the poll
/// returns (`is_over() == true`, the whole duration, measured to within
/// the monitor's sampling period). The fix is the caller's: move the call
/// to [`spawn_blocking`](crate::spawn_blocking) or a
/// [`ThreadPool`](crate::ThreadPool).
///
/// [`Builder::on_blocked`]: super::Builder::on_blocked
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// let reports = Arc::new(Mutex::new(Vec::new()));
/// let sink = reports.clone();
/// let runtime = deli::Runtime::builder()
///     .workers(2)
///     .monitor(Some(Duration::from_millis(20)))
///     .on_blocked(move |report: &deli::BlockedTask| {
///         sink.lock().unwrap().push((report.name().map(String::from), report.is_over()));
///     })
///     .build()?;
/// let ticket = deli::TaskBuilder::new()
///     .name("sleepy")
///     .spawn_on(async { std::thread::sleep(Duration::from_millis(300)) }, runtime.handle());
/// ticket.wait_blocking().unwrap();
/// let deadline = std::time::Instant::now() + Duration::from_secs(5);
/// while reports.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
///     std::thread::sleep(Duration::from_millis(5));
/// }
/// let reports = reports.lock().unwrap();
/// assert_eq!(reports[0], (Some("sleepy".to_owned()), false));
/// assert_eq!(reports[1], (Some("sleepy".to_owned()), true));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BlockedTask {
    pub(crate) id: TaskId,
    pub(crate) name: Option<Box<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) worker: usize,
    pub(crate) duration: Duration,
    pub(crate) is_over: bool,
}

impl BlockedTask {
    /// The task's id (the same as its [`Ticket::id`](crate::Ticket::id)).
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name, if it was spawned with one
    /// ([`TaskBuilder::name`](super::TaskBuilder::name)).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// The index of the worker slot it blocked.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// How long the poll has run (so far, or in all once it is over).
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Whether the poll has returned.
    pub fn is_over(&self) -> bool {
        self.is_over
    }
}

impl fmt::Display for BlockedTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " ({name:?})")?;
        }
        let verb = if self.is_over {
            "blocked"
        } else {
            "is blocking"
        };
        write!(
            f,
            ", spawned at {}, {verb} worker {} for {:?}",
            self.spawned_at, self.worker, self.duration
        )
    }
}

/// The `on_blocked` callback, shareable and printable.
#[derive(Clone)]
pub(crate) struct OnBlocked(pub(crate) Arc<dyn Fn(&BlockedTask) + Send + Sync>);

impl fmt::Debug for OnBlocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnBlocked(..)")
    }
}
