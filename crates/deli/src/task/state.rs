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
//! [`Ticket::state`](crate::Ticket::state) and the trace can show it.
//!
//! Only one thread at a time changes the lifecycle: the task cell
//! (`async_task`) calls the schedule function (which records Ready) only
//! while the task is neither queued nor being polled, and a wake that lands
//! during a poll only marks the cell, whose poller then schedules the task
//! itself after the poll ends; the future (whose harness records Running,
//! Waiting and Terminated) is polled and dropped only by the holder of the
//! task's one `Runnable`. Each hand-over between those threads goes through
//! the cell's own acquire/release state word. So the lifecycle is a plain
//! load and store, not a compare-and-swap: three to four fewer locked
//! instructions per task (`scheduler/chained_spawn-ct`, `yield_many-ct`).
//!
//! What may come from any thread at any time is a cancel request, so it has
//! a byte of its own and never races a lifecycle store. The loom model
//! below checks both: lifecycle hand-overs that lose nothing, with a cancel
//! request and an observer racing them.

use crate::loom::sync::atomic::{AtomicBool, AtomicU8, Ordering};

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
/// Set at the first poll and kept: the scheduler treats a task that has
/// never run (new work) differently from one woken again.
const HAS_RUN: u8 = 0b1_0000;
/// Set when the task's registry got its waker (at its first wait; see
/// `OwnedTasks::keep_waker`), so later waits skip the registry.
const WAKER_KEPT: u8 = 0b10_0000;

/// The atomic lifecycle word of one task, and its cancel flag.
#[derive(Debug)]
pub(crate) struct StateCell {
    /// The lifecycle in the low three bits, [`HAS_RUN`] and
    /// [`WAKER_KEPT`]. Written only
    /// by the task's current owner (see the module doc), so a load and a
    /// store suffice; atomic only for the observers on other threads.
    word: AtomicU8,
    /// Whether a cancel was requested: any thread, any time.
    cancel: AtomicBool,
}

impl StateCell {
    pub(crate) fn new() -> StateCell {
        StateCell {
            word: AtomicU8::new(NEW),
            cancel: AtomicBool::new(false),
        }
    }

    /// The current lifecycle state.
    pub(crate) fn load(&self) -> State {
        decode(self.word.load(Ordering::Acquire))
    }

    /// The task was handed to a run queue. Returns the state it left.
    #[inline]
    pub(crate) fn to_ready(&self) -> State {
        self.transition(0, |lifecycle| match lifecycle {
            TERMINATED => None,
            _ => Some(READY),
        })
    }

    /// A worker is about to poll the task. Returns the state it left.
    #[inline]
    pub(crate) fn to_running(&self) -> State {
        self.transition(HAS_RUN, |lifecycle| match lifecycle {
            TERMINATED => None,
            _ => Some(RUNNING),
        })
    }

    /// The poll returned `Pending`. The task is Waiting unless it was
    /// marked Ready during the poll (a yield), in which case it stays so.
    #[inline]
    pub(crate) fn running_to_waiting(&self) -> State {
        self.transition(0, |lifecycle| match lifecycle {
            RUNNING => Some(WAITING),
            _ => None,
        })
    }

    /// The task ended, one way or another. Final.
    #[inline]
    pub(crate) fn to_terminated(&self) -> State {
        self.transition(0, |_| Some(TERMINATED))
    }

    /// Asks for cancellation. Returns true for the first request made while
    /// the task had not yet terminated: only that caller needs to wake it.
    /// (A request racing the task's end may still say true; waking a task
    /// that has just finished is harmless.)
    pub(crate) fn request_cancel(&self) -> bool {
        let first = !self.cancel.swap(true, Ordering::AcqRel);
        first && self.word.load(Ordering::Acquire) & LIFECYCLE_MASK != TERMINATED
    }

    pub(crate) fn is_cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Acquire)
    }

    /// Whether the task has been polled at least once.
    pub(crate) fn has_run(&self) -> bool {
        self.word.load(Ordering::Relaxed) & HAS_RUN != 0
    }

    /// Whether the task's registry has its waker already.
    #[inline]
    pub(crate) fn waker_kept(&self) -> bool {
        self.word.load(Ordering::Relaxed) & WAKER_KEPT != 0
    }

    /// Notes that the task's registry has its waker. Only the task's
    /// current owner (its poller) calls this, like the transitions.
    pub(crate) fn mark_waker_kept(&self) {
        let current = self.word.load(Ordering::Relaxed);
        self.word.store(current | WAKER_KEPT, Ordering::Release);
    }

    /// Applies `next` to the lifecycle bits (keeping the flags, and
    /// adding `flags`); `None` leaves the word alone. Returns the state
    /// seen before. Only the task's current owner calls this (module doc),
    /// so nothing can change the word between the load and the store.
    #[inline]
    fn transition(&self, flags: u8, next: impl Fn(u8) -> Option<u8>) -> State {
        // Relaxed: the owner made or last saw every write to the word
        // (hand-overs synchronise through the task cell's state).
        let current = self.word.load(Ordering::Relaxed);
        let lifecycle = current & LIFECYCLE_MASK;
        let Some(target) = next(lifecycle) else {
            return decode(current);
        };
        if target == lifecycle && current & flags == flags {
            // Already there (a yield the trace saw queued again at the
            // poll's end): nothing to write.
            return decode(current);
        }
        let desired = (current & !LIFECYCLE_MASK) | target | flags;
        // Release: an observer that sees the new state also sees what the
        // owner did before (the trace stamp, the output).
        self.word.store(desired, Ordering::Release);
        decode(current)
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
    use loom::sync::atomic::AtomicU8 as CellWord;
    use loom::sync::Arc;
    use loom::thread;

    // A two-bit stand-in for the task cell's own state word (`async_task`):
    // the protocol that makes one thread at a time the lifecycle's owner.
    const POLLING: u8 = 0b01;
    const SCHEDULED: u8 = 0b10;

    /// A wake racing a poll is never lost, with a cancel request racing
    /// both. As in the task cell: a wake during the poll only marks the
    /// cell and the poller records Ready after the poll; a wake after it
    /// records Ready itself. Either way the task ends Ready, never Waiting.
    #[test]
    fn loom_wake_racing_poll_is_never_lost() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            let task = Arc::new(CellWord::new(POLLING));
            cell.to_ready();

            let waker = {
                let (cell, task) = (cell.clone(), task.clone());
                thread::spawn(move || {
                    let before = task.fetch_or(SCHEDULED, Ordering::AcqRel);
                    if before & (POLLING | SCHEDULED) == 0 {
                        // Not being polled: this thread schedules it.
                        cell.to_ready();
                    }
                })
            };
            let canceller = {
                let cell = cell.clone();
                thread::spawn(move || cell.request_cancel())
            };

            let before_poll = cell.to_running();
            cell.running_to_waiting();
            let after_poll = task.fetch_and(!POLLING, Ordering::AcqRel);
            if after_poll & SCHEDULED != 0 {
                // Woken while polled: the poller schedules it.
                cell.to_ready();
            }

            waker.join().unwrap();
            let first_cancel = canceller.join().unwrap();

            assert!(first_cancel, "the only cancel request is the first");
            assert!(cell.is_cancel_requested());
            assert_eq!(before_poll, State::Ready);
            assert!(cell.has_run());
            assert_eq!(cell.load(), State::Ready, "wake during poll lost");
        });
    }

    /// Termination is final whatever comes after it, and an observer on
    /// another thread only ever sees states the owner wrote, in order.
    #[test]
    fn loom_terminated_is_final() {
        loom::model(|| {
            let cell = Arc::new(StateCell::new());
            let task = Arc::new(CellWord::new(POLLING));
            cell.to_ready();
            let observer = {
                let cell = cell.clone();
                thread::spawn(move || {
                    let first = cell.load();
                    let second = cell.load();
                    assert!(first <= second, "{first:?} then {second:?}");
                    assert!(first >= State::Ready);
                })
            };
            let late_waker = {
                let (cell, task) = (cell.clone(), task.clone());
                thread::spawn(move || {
                    let before = task.fetch_or(SCHEDULED, Ordering::AcqRel);
                    if before & (POLLING | SCHEDULED) == 0 {
                        cell.to_ready();
                    }
                })
            };
            cell.to_running();
            cell.to_terminated();
            task.fetch_and(!POLLING, Ordering::AcqRel);
            late_waker.join().unwrap();
            observer.join().unwrap();
            assert_eq!(cell.load(), State::Terminated);
            assert!(!cell.request_cancel());
        });
    }
}
