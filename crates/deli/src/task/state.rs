//! The lifecycle state machine every task lives through.
//!
//! ```text
//!   New ──schedule──▶ Ready ──poll──▶ Running ──pending──▶ Waiting
//!                       ▲                │  ▲                 │
//!                       │                │  └─────────────────┘ (wake: Ready)
//!                       └──woken while running (stays Ready after the poll)
//!   any state ──output, panic, cancel or drop──▶ Terminated (final)
//! ```
//!
//! The scheduling itself (who owns the task, who may poll it) belongs to the
//! task cell; this word only *records* where the task is, so that
//! [`Ticket::state`](crate::Ticket::state) and the trace can show it. It must
//! still be exact under races: a wake that lands while the task is being
//! polled must leave the task Ready, not Waiting, or an observer would see a
//! queued task as parked. That is the one race the loom model below checks,
//! with a cancel request racing both.
//!
//! The word packs the lifecycle in its low three bits and a "cancel
//! requested" and a "has run" flag above them, so a cancel and a state
//! change never lose each other.

use crate::loom::sync::atomic::{AtomicU8, Ordering};

/// Where a task is in its life: the five states of the classic guides.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let ticket = deli::spawn(async { 7 });
///     // Spawned tasks start out queued (or already running on another worker).
///     assert_ne!(ticket.state(), deli::State::New);
///     assert_eq!(ticket.await, Ok(7));
/// });
/// ```
///
/// States order by the lifecycle (`New < Ready < … < Terminated`), print
/// and parse by name (case-insensitive), as the trace writes them:
///
/// ```
/// use deli::State;
///
/// assert_eq!(State::Waiting.to_string(), "Waiting");
/// assert_eq!("running".parse::<State>(), Ok(State::Running));
/// assert!("Sleeping".parse::<State>().is_err());
/// assert!(State::ALL.windows(2).all(|pair| pair[0] < pair[1]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Created, not yet queued.
    New,
    /// In a run queue, waiting for a worker.
    Ready,
    /// Being polled (or executed) right now.
    Running,
    /// Parked on something — I/O, a timer, a lock, another task.
    Waiting,
    /// Finished: with a value, an error, a panic, or cancelled.
    Terminated,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 5] = [
        State::New,
        State::Ready,
        State::Running,
        State::Waiting,
        State::Terminated,
    ];

    /// The state's name, as the guides and the trace write it (`"Ready"`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::State::Terminated.name(), "Terminated");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            State::New => "New",
            State::Ready => "Ready",
            State::Running => "Running",
            State::Waiting => "Waiting",
            State::Terminated => "Terminated",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for State {
    type Err = ParseStateError;

    fn from_str(name: &str) -> Result<State, ParseStateError> {
        State::ALL
            .into_iter()
            .find(|state| state.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| ParseStateError(name.to_owned()))
    }
}

/// A name that is none of the five [`State`]s.
///
/// # Examples
///
/// ```
/// let error = "Asleep".parse::<deli::State>().unwrap_err();
/// assert_eq!(error.to_string(), "`Asleep` is not a task state");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a task state")]
pub struct ParseStateError(String);

const NEW: u8 = 0;
const READY: u8 = 1;
const RUNNING: u8 = 2;
const WAITING: u8 = 3;
const TERMINATED: u8 = 4;
const LIFECYCLE_MASK: u8 = 0b111;
const CANCEL_REQUESTED: u8 = 0b1000;
/// Set at the first poll and kept: the scheduler treats a task that has
/// never run (new work) differently from one woken again.
const HAS_RUN: u8 = 0b1_0000;

/// The atomic lifecycle word of one task.
#[derive(Debug)]
pub(crate) struct StateCell {
    word: AtomicU8,
}

impl StateCell {
    pub(crate) fn new() -> StateCell {
        StateCell {
            word: AtomicU8::new(NEW),
        }
    }

    /// The current lifecycle state.
    pub(crate) fn load(&self) -> State {
        decode(self.word.load(Ordering::Acquire))
    }

    /// The task was handed to a run queue. Returns the state it left.
    pub(crate) fn to_ready(&self) -> State {
        self.transition(0, |lifecycle| match lifecycle {
            TERMINATED => None,
            _ => Some(READY),
        })
    }

    /// A worker is about to poll the task. Returns the state it left.
    pub(crate) fn to_running(&self) -> State {
        self.transition(HAS_RUN, |lifecycle| match lifecycle {
            TERMINATED => None,
            _ => Some(RUNNING),
        })
    }

    /// The poll returned `Pending`. The task is Waiting unless a wake arrived
    /// during the poll, in which case it is already Ready again and stays so.
    pub(crate) fn running_to_waiting(&self) -> State {
        self.transition(0, |lifecycle| match lifecycle {
            RUNNING => Some(WAITING),
            _ => None,
        })
    }

    /// The task ended, one way or another. Final.
    pub(crate) fn to_terminated(&self) -> State {
        self.transition(0, |_| Some(TERMINATED))
    }

    /// Asks for cancellation. Returns true for the first request made while
    /// the task had not yet terminated: only that caller needs to wake it.
    pub(crate) fn request_cancel(&self) -> bool {
        let previous = self.word.fetch_or(CANCEL_REQUESTED, Ordering::AcqRel);
        previous & CANCEL_REQUESTED == 0 && previous & LIFECYCLE_MASK != TERMINATED
    }

    pub(crate) fn is_cancel_requested(&self) -> bool {
        self.word.load(Ordering::Acquire) & CANCEL_REQUESTED != 0
    }

    /// Whether the task has been polled at least once.
    pub(crate) fn has_run(&self) -> bool {
        self.word.load(Ordering::Relaxed) & HAS_RUN != 0
    }

    /// Applies `next` to the lifecycle bits (keeping the flags, and adding
    /// `flags`) until it sticks; `None` leaves the word alone. Returns the
    /// state seen before.
    fn transition(&self, flags: u8, next: impl Fn(u8) -> Option<u8>) -> State {
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            let lifecycle = current & LIFECYCLE_MASK;
            let Some(target) = next(lifecycle) else {
                return decode(current);
            };
            if target == lifecycle {
                // Already there (a yield the trace saw queued again at the
                // poll's end): nothing to write.
                return decode(current);
            }
            let desired = (current & !LIFECYCLE_MASK) | target | flags;
            match self.word.compare_exchange_weak(
                current,
                desired,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return decode(current),
                Err(actual) => current = actual,
            }
        }
    }
}

fn decode(word: u8) -> State {
    match word & LIFECYCLE_MASK {
        NEW => State::New,
        READY => State::Ready,
        RUNNING => State::Running,
        WAITING => State::Waiting,
        _ => State::Terminated,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn walks_the_whole_lifecycle() {
        let cell = StateCell::new();
        assert_eq!(cell.load(), State::New);
        cell.to_ready();
        assert_eq!(cell.load(), State::Ready);
        cell.to_running();
        assert_eq!(cell.load(), State::Running);
        cell.running_to_waiting();
        assert_eq!(cell.load(), State::Waiting);
        cell.to_ready();
        cell.to_running();
        cell.to_terminated();
        assert_eq!(cell.load(), State::Terminated);
        // Terminated is final.
        cell.to_ready();
        cell.to_running();
        assert_eq!(cell.load(), State::Terminated);
    }

    #[test]
    fn a_wake_during_the_poll_keeps_the_task_ready() {
        let cell = StateCell::new();
        cell.to_ready();
        cell.to_running();
        assert_eq!(cell.to_ready(), State::Running);
        cell.running_to_waiting();
        assert_eq!(cell.load(), State::Ready);
    }

    #[test]
    fn only_the_first_cancel_before_termination_wakes() {
        let cell = StateCell::new();
        assert!(cell.request_cancel());
        assert!(!cell.request_cancel());
        assert!(cell.is_cancel_requested());
        cell.to_ready();
        assert_eq!(cell.load(), State::Ready);

        let done = StateCell::new();
        done.to_terminated();
        assert!(!done.request_cancel());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// A wake racing a poll is never lost: if the waker saw the task
    /// Running, the task ends the poll Ready; and a cancel request racing
    /// both is never dropped.
    #[test]
    fn loom_wake_racing_poll_is_never_lost() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            cell.to_ready();

            let waker = {
                let cell = cell.clone();
                thread::spawn(move || cell.to_ready())
            };
            let canceller = {
                let cell = cell.clone();
                thread::spawn(move || cell.request_cancel())
            };

            let before_poll = cell.to_running();
            cell.running_to_waiting();

            let seen_by_waker = waker.join().unwrap();
            let first_cancel = canceller.join().unwrap();

            assert!(first_cancel, "the only cancel request is the first");
            assert!(cell.is_cancel_requested());
            assert_ne!(before_poll, State::Terminated);
            if seen_by_waker == State::Running {
                assert_eq!(cell.load(), State::Ready, "wake during poll lost");
            }
            assert_ne!(cell.load(), State::Running);
        });
    }

    /// Termination is final whatever races it.
    #[test]
    fn loom_terminated_is_final() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            cell.to_ready();
            cell.to_running();
            let waker = {
                let cell = cell.clone();
                thread::spawn(move || {
                    cell.to_ready();
                })
            };
            cell.to_terminated();
            waker.join().unwrap();
            assert_eq!(cell.load(), State::Terminated);
            assert!(!cell.request_cancel());
        });
    }
}
