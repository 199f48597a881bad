//! [`TaskInfo`]: one live task as a listing shows it (`Runtime::tasks`,
//! `deli::dump`, `deli top`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::header::TaskId;
use super::state::State;

/// One live task of a runtime, as [`Runtime::tasks`](crate::Runtime::tasks)
/// lists it: what asyncio's `all_tasks()` gives, with the lifecycle state
/// and how long the task has been in it.
///
/// `in_state` comes from a coarse clock the schedulers refresh between
/// batches of polls, so it may be short by up to about a millisecond on a
/// busy runtime (more on one that has been idle); it is for people and
/// tools watching a program, not for timing.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().workers(1).build()?;
/// let _sleeper = deli::TaskBuilder::new()
///     .name("sleeper")
///     .spawn_on(std::future::pending::<()>(), runtime.handle());
/// std::thread::sleep(std::time::Duration::from_millis(20));
/// let tasks = runtime.tasks();
/// let sleeper = tasks.iter().find(|t| t.name.as_deref() == Some("sleeper")).unwrap();
/// assert_eq!(sleeper.state, deli::State::Waiting);
/// assert!(sleeper.spawned_at.contains(".rs:"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id (its ticket's [`id`](crate::Ticket::id)).
    pub id: u64,
    /// Its name, if it was given one ([`TaskBuilder::name`](crate::TaskBuilder::name)).
    pub name: Option<String>,
    /// Where it was spawned: `file:line:column`.
    pub spawned_at: String,
    /// Its lifecycle state.
    #[serde(with = "state_name")]
    pub state: State,
    /// How long it has been in that state (coarse: see above).
    #[serde(with = "millis")]
    pub in_state: Duration,
}

impl TaskInfo {
    pub(crate) fn new(
        id: TaskId,
        name: Option<&str>,
        spawned_at: String,
        state: State,
        in_state: Duration,
    ) -> TaskInfo {
        TaskInfo {
            id: id.as_u64(),
            name: name.map(str::to_owned),
            spawned_at,
            state,
            in_state,
        }
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task {} {:<10} {:>8.1?} {} at {}",
            self.id,
            self.state.name(),
            self.in_state,
            self.name.as_deref().unwrap_or("-"),
            self.spawned_at
        )
    }
}

/// A [`State`] as its name.
mod state_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::task::State;

    pub(super) fn serialize<S: Serializer>(state: &State, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(state.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A [`Duration`](std::time::Duration) as whole milliseconds.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
