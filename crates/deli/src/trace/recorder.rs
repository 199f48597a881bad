//! Recording: the on/off switch, each thread's log and lane, and the
//! session that `start()` opens and `stop()` drains.
//!
//! The switch is one atomic word holding the current session number (zero
//! when off), so a transition pays one relaxed load when tracing is off.
//! When on, the event goes to the calling thread's own [`Writer`] (lock
//! free); a thread's first event of a session registers its log in the
//! session's list under a lock, once. `stop()` switches off, takes that
//! list and reads every log (see [`super::log`] for why a log may be read
//! while its owner writes). A thread still holding a log of a stopped
//! session reuses its chunks at its next event of a new session (if the
//! session that read it has let go), or frees them when it exits.
//!
//! To spare clock reads, each thread remembers its last event (task, state,
//! time): see [`Moment`] for the events that may reuse that time, and
//! [`next_poll_follows`] for the worker's side of it.
//!
//! Lanes are interned process-wide into small ids: threads that are
//! workers, pool threads or blocking threads name their lane once, when
//! they start ([`intern`], [`enter_lane`]); any other thread gets a
//! [`Lane::Thread`] on its first event.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc as StdArc, Mutex, MutexGuard};
use std::time::Duration;

use super::clock::{self, Anchor, Scale};
use super::log::{Budget, EventLog, RawEvent, Writer, CHUNK_EVENTS};
use super::{JobKind, Lane, Trace};
use crate::loom::sync::Arc;
use crate::task::{State, TaskId};

/// The session being recorded, or zero when tracing is off.
static SESSION: AtomicU64 = AtomicU64::new(0);

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    session: 0,
    last_session: 0,
    logs: Vec::new(),
    blocked: Vec::new(),
    budget: None,
    start: None,
});

static LANES: Mutex<LaneTable> = Mutex::new(LaneTable {
    lanes: Vec::new(),
    ids: None,
});

/// A lane id not yet given (the thread has not said what it is).
const NO_LANE: u32 = u32::MAX;

/// The events kept per trace unless
/// [`start_with_capacity`](super::start_with_capacity) says otherwise
/// (about 24 MiB of logs).
///
/// # Examples
///
/// ```
/// assert!(deli::trace::DEFAULT_MAX_EVENTS >= 1_000_000);
/// ```
pub const DEFAULT_MAX_EVENTS: usize = 1 << 20;

/// What one session has recorded so far, and where.
struct Registry {
    /// The open session, or zero.
    session: u64,
    last_session: u64,
    logs: Vec<Arc<EventLog>>,
    blocked: Vec<RawBlocked>,
    budget: Option<StdArc<Budget>>,
    start: Option<Anchor>,
}

/// A monitor report, recorded off the hot path.
#[derive(Debug, Clone)]
pub(super) struct RawBlocked {
    pub(super) at: u64,
    pub(super) task: TaskId,
    pub(super) name: Option<StdArc<str>>,
    pub(super) lane: u32,
    pub(super) duration: Duration,
    pub(super) is_over: bool,
}

struct LaneTable {
    lanes: Vec<Lane>,
    ids: Option<HashMap<Lane, u32>>,
}

/// A lane, interned: cheap to copy and to store in every event.
///
/// Made by [`intern`]; a thread that always works on one lane enters it
/// once with [`enter_lane`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LaneId(u32);

/// This thread's log (for the session it belongs to) and lane.
struct Local {
    joined: Option<Joined>,
    lane: u32,
    /// The task, state code and time of this thread's last event.
    last_task: u64,
    last_state: u64,
    last_at: u64,
    /// A Running at `last_at` not written yet (task, packed meta): the
    /// end of that poll is written with [`RAN_BEFORE`] instead, one event
    /// for two; anything else writes it first.
    pending_run: Option<(u64, u64)>,
}

struct Joined {
    session: u64,
    writer: Writer,
    budget: StdArc<Budget>,
}

thread_local! {
    /// Set by [`next_poll_follows`]; apart from `LOCAL` because it is set
    /// on every poll and a plain cell is the cheapest thread-local there is.
    static FOLLOWS: Cell<bool> = const { Cell::new(false) };
    static LOCAL: RefCell<Local> = const {
        RefCell::new(Local {
            joined: None,
            lane: NO_LANE,
            last_task: 0,
            last_state: 0,
            last_at: 0,
            pending_run: None,
        })
    };
}

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn lanes() -> MutexGuard<'static, LaneTable> {
    LANES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Interns `lane`: the same lane always gets the same id.
pub(crate) fn intern(lane: Lane) -> LaneId {
    let mut table = lanes();
    let LaneTable { lanes, ids } = &mut *table;
    let ids = ids.get_or_insert_with(HashMap::new);
    if let Some(&id) = ids.get(&lane) {
        return LaneId(id);
    }
    // Lanes are made per thread started, not per event: four billion
    // would take decades of thread churn; saturate rather than panic.
    let id = u32::try_from(lanes.len()).unwrap_or(NO_LANE - 1);
    lanes.push(lane.clone());
    ids.insert(lane, id);
    LaneId(id)
}

/// Marks the calling thread as working on `lane` until the guard drops
/// (which restores the lane it had before).
pub(crate) fn enter_lane(lane: LaneId) -> LaneGuard {
    let previous = LOCAL
        .try_with(|local| {
            let mut local = local.try_borrow_mut().ok()?;
            Some(std::mem::replace(&mut local.lane, lane.0))
        })
        .ok()
        .flatten()
        .unwrap_or(NO_LANE);
    LaneGuard { previous }
}

/// Gives the thread its previous lane back; see [`enter_lane`].
#[derive(Debug)]
pub(crate) struct LaneGuard {
    previous: u32,
}

impl Drop for LaneGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = LOCAL.try_with(|local| {
            if let Ok(mut local) = local.try_borrow_mut() {
                local.lane = previous;
            }
        });
    }
}

/// Whether a session is recording.
#[inline]
pub(super) fn is_enabled() -> bool {
    SESSION.load(Ordering::Relaxed) != 0
}

/// When an event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moment {
    /// Now: read the clock.
    Now,
    /// Right after this thread's previous event, if that was the same
    /// task's (say, the reschedule of a task that woke itself while being
    /// polled, just after the poll's end was recorded): reuse its time
    /// rather than read the clock again, which is most of an event's cost.
    /// If that event already put the task in the same state, this one says
    /// nothing new and is not recorded.
    RightAfter,
    /// The start of a poll: at the time of this thread's last event if the
    /// worker said the poll follows it at once ([`next_poll_follows`]).
    PollStart,
}

/// Makes the next [`Moment::RightAfter`] event of this thread read the
/// clock: time has passed (a task made now and started later, say).
pub(crate) fn time_passes() {
    if !is_enabled() {
        return;
    }
    let _ = FOLLOWS.try_with(|follows| follows.set(false));
    let _ = LOCAL.try_with(|local| {
        if let Ok(mut local) = local.try_borrow_mut() {
            local.last_task = 0;
        }
    });
}

/// The session being recorded, or zero when off: one relaxed load. What a
/// caller gives back to [`record_in`].
#[inline]
pub(crate) fn session() -> u64 {
    SESSION.load(Ordering::Relaxed)
}

/// Records that `task` entered `state` on the calling thread's lane, for
/// `session` (from [`session`], non-zero). With a `name`, a New or
/// Terminated event also records the task's name.
#[inline]
pub(crate) fn record_in(
    session: u64,
    task: TaskId,
    kind: JobKind,
    state: State,
    name: Option<&str>,
    at: Moment,
) {
    record_packed(session, task, pack(kind, state, None), name, at);
}

/// Says whether the next poll on this thread starts right after this
/// thread's last event, with nothing in between worth a clock read: its
/// Running then reuses that event's time (see [`Moment::PollStart`]). Only
/// for a worker that goes straight from one poll to the next with a task it
/// queued itself (so that task's Ready was recorded on this thread, no
/// later than the last event). Used up by this thread's next event,
/// whatever it is.
#[inline]
pub(crate) fn next_poll_follows(follows: bool) {
    if is_enabled() {
        let _ = FOLLOWS.try_with(|cell| cell.set(follows));
    }
}

/// Records that process job `task` entered `state` in the worker process
/// `pid`: the parent records on the child's behalf.
pub(crate) fn record_process(task: TaskId, state: State, pid: u32) {
    let session = SESSION.load(Ordering::Relaxed);
    if session != 0 {
        let meta = pack(JobKind::Process, state, Some(pid));
        record_packed(session, task, meta, None, Moment::Now);
    }
}

/// Records a monitor report: `task` has blocked the worker on `lane` for
/// `duration` (so far, or in all when `is_over`).
pub(crate) fn record_blocked(
    lane: LaneId,
    task: TaskId,
    name: Option<&str>,
    duration: Duration,
    is_over: bool,
) {
    if !is_enabled() {
        return;
    }
    let at = clock::now();
    let mut registry = registry();
    if registry.session == 0 {
        return;
    }
    registry.blocked.push(RawBlocked {
        at,
        task,
        name: name.map(StdArc::from),
        lane: lane.0,
        duration,
        is_over,
    });
}

#[inline(never)]
fn record_packed(session: u64, task: TaskId, meta: u64, name: Option<&str>, moment: Moment) {
    let _ = LOCAL.try_with(|local| {
        if let Ok(mut local) = local.try_borrow_mut() {
            local.record(session, task.as_u64(), meta, name, moment);
        }
    });
}

impl Local {
    /// The hot path: everything rare (joining a session, naming the
    /// thread's lane, a task's name) is out of line.
    #[inline(always)]
    fn record(&mut self, session: u64, task: u64, meta: u64, name: Option<&str>, moment: Moment) {
        if !matches!(&self.joined, Some(joined) if joined.session == session)
            && !self.rejoin(session)
        {
            return;
        }
        let lane = if meta & PID_LANE != 0 {
            0
        } else {
            if self.lane == NO_LANE {
                self.lane = thread_lane_id();
            }
            u64::from(self.lane) << LANE_SHIFT
        };
        let state = meta & STATE_MASK;
        let follows = FOLLOWS.try_with(|follows| follows.replace(false)) == Ok(true);
        let mut meta = meta | lane;
        let at = match moment {
            Moment::RightAfter if self.last_task == task => {
                if self.last_state == state {
                    return;
                }
                self.last_at
            }
            Moment::PollStart if follows && self.last_at != 0 && name.is_none() => {
                // Written with the poll's end, or before the next event.
                if self.pending_run.is_some() {
                    self.flush_pending_run();
                }
                self.pending_run = Some((task, meta));
                self.last_task = task;
                self.last_state = state;
                return;
            }
            _ => clock::now(),
        };
        match self.pending_run.take() {
            Some((pending, _)) if pending == task && meta & PID_LANE == 0 => meta |= RAN_BEFORE,
            Some(run) => {
                self.pending_run = Some(run);
                self.flush_pending_run();
            }
            None => {}
        }
        self.last_task = task;
        self.last_state = state;
        self.last_at = at;
        let Some(joined) = self.joined.as_mut() else {
            return;
        };
        if let Some(name) = name {
            joined.push_name(task, state, name);
        }
        joined
            .writer
            .push(RawEvent { at, task, meta }, &joined.budget);
    }

    /// Writes a Running held back by [`Moment::PollStart`] as an event of
    /// its own, at the time it stands for.
    #[cold]
    #[inline(never)]
    fn flush_pending_run(&mut self) {
        let (Some((task, meta)), Some(joined)) = (self.pending_run.take(), self.joined.as_mut())
        else {
            return;
        };
        let event = RawEvent {
            at: self.last_at,
            task,
            meta,
        };
        joined.writer.push(event, &joined.budget);
    }

    /// Leaves the session this thread recorded for last and joins
    /// `session`; false if that session has stopped already.
    #[cold]
    #[inline(never)]
    fn rejoin(&mut self, session: u64) -> bool {
        let previous = self.joined.take().map(|joined| joined.writer);
        self.joined = join(session, previous);
        self.last_task = 0;
        self.last_at = 0;
        self.pending_run = None;
        self.joined.is_some()
    }
}

impl Joined {
    /// Records `task`'s name with its New and Terminated events.
    #[cold]
    #[inline(never)]
    fn push_name(&mut self, task: u64, state: u64, name: &str) {
        if state == state_code(State::New) || state == state_code(State::Terminated) {
            let record = RawEvent::name_record(task, StdArc::from(name));
            self.writer.push(record, &self.budget);
        }
    }
}

#[cold]
#[inline(never)]
fn thread_lane_id() -> u32 {
    intern(this_thread_lane()).0
}

/// A new log for this thread in `session`, registered with it; `None` if
/// that session has already stopped.
fn join(session: u64, previous: Option<Writer>) -> Option<Joined> {
    let writer = match previous {
        Some(previous) => previous.renew(),
        None => Writer::new(),
    };
    let mut registry = registry();
    if registry.session != session {
        return None;
    }
    let budget = registry.budget.clone()?;
    registry.logs.push(writer.log());
    Some(Joined {
        session,
        writer,
        budget,
    })
}

fn this_thread_lane() -> Lane {
    let thread = std::thread::current();
    let name = match thread.name() {
        Some(name) => name.to_owned(),
        None => format!("{:?}", thread.id()),
    };
    Lane::Thread { name }
}

// The packed `meta` word of an event: state, job kind, lane.
const STATE_MASK: u64 = 0xff;
const KIND_SHIFT: u32 = 8;
const PID_LANE: u64 = 1 << 16;
/// The task also entered Running, at the time of the log's previous
/// ordinary event: a poll that followed it at once, written as one event.
const RAN_BEFORE: u64 = 1 << 17;
const LANE_SHIFT: u32 = 32;

fn state_code(state: State) -> u64 {
    match state {
        State::New => 0,
        State::Ready => 1,
        State::Running => 2,
        State::Waiting => 3,
        State::Terminated => 4,
    }
}

fn kind_code(kind: JobKind) -> u64 {
    match kind {
        JobKind::Async => 0,
        JobKind::Blocking => 1,
        JobKind::Pool => 2,
        JobKind::Process => 3,
    }
}

fn pack(kind: JobKind, state: State, pid: Option<u32>) -> u64 {
    let lane = match pid {
        Some(pid) => PID_LANE | (u64::from(pid) << LANE_SHIFT),
        None => 0,
    };
    state_code(state) | (kind_code(kind) << KIND_SHIFT) | lane
}

/// What an ordinary event's `meta` word says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decoded {
    pub(super) state: State,
    pub(super) kind: JobKind,
    /// An interned lane id, or a worker process's pid.
    pub(super) lane: RawLane,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum RawLane {
    Interned(u32),
    Process(u32),
}

pub(super) fn unpack(meta: u64) -> Option<Decoded> {
    let state = match meta & STATE_MASK {
        0 => State::New,
        1 => State::Ready,
        2 => State::Running,
        3 => State::Waiting,
        4 => State::Terminated,
        _ => return None,
    };
    let kind = match (meta >> KIND_SHIFT) & 0xff {
        0 => JobKind::Async,
        1 => JobKind::Blocking,
        2 => JobKind::Pool,
        _ => JobKind::Process,
    };
    let id = (meta >> LANE_SHIFT) as u32;
    let lane = if meta & PID_LANE != 0 {
        RawLane::Process(id)
    } else {
        RawLane::Interned(id)
    };
    Some(Decoded { state, kind, lane })
}

/// Opens a session keeping at most `max_events` events; see `super::start`.
pub(super) fn start(max_events: usize) {
    clock::init();
    let mut registry = registry();
    if registry.session != 0 {
        return;
    }
    registry.last_session += 1;
    let session = registry.last_session;
    registry.logs.clear();
    registry.blocked.clear();
    let chunks = max_events.div_ceil(CHUNK_EVENTS).max(1);
    registry.budget = Some(StdArc::new(Budget::new(chunks)));
    registry.start = Some(Anchor::now());
    registry.session = session;
    SESSION.store(session, Ordering::Release);
}

/// Everything a stopped session left, before it is made into a [`Trace`].
pub(super) struct Drained {
    pub(super) events: Vec<RawEvent>,
    pub(super) blocked: Vec<RawBlocked>,
    pub(super) lanes: Vec<Lane>,
    pub(super) scale: Scale,
    pub(super) duration: Duration,
    pub(super) dropped: u64,
}

/// Closes the session and reads every log; see `super::stop`.
pub(super) fn stop() -> Trace {
    let (logs, blocked, start, end) = {
        let mut registry = registry();
        if registry.session == 0 {
            return Trace::default();
        }
        SESSION.store(0, Ordering::Release);
        registry.session = 0;
        registry.budget = None;
        let end = Anchor::now();
        let Some(start) = registry.start.take() else {
            return Trace::default();
        };
        (
            std::mem::take(&mut registry.logs),
            std::mem::take(&mut registry.blocked),
            start,
            end,
        )
    };
    let mut events = Vec::new();
    let mut read = Vec::new();
    let mut dropped = 0;
    for log in &logs {
        read.clear();
        dropped += log.read_into(&mut read);
        expand_runs(&read, &mut events);
    }
    // Names are owned by the logs: take copies before they go.
    let lanes = lanes().lanes.clone();
    let drained = Drained {
        events,
        blocked,
        lanes,
        scale: Scale::measure(start),
        duration: end.instant().saturating_duration_since(start.instant()),
        dropped,
    };
    let trace = super::collect::build(drained);
    drop(logs);
    trace
}

/// Copies one log's events to `out`, each poll written as one event (see
/// [`RAN_BEFORE`]) as its two: Running, then how the poll ended.
fn expand_runs(log: &[RawEvent], out: &mut Vec<RawEvent>) {
    let mut previous_at = None;
    for event in log {
        if event.name().is_some() {
            out.push(*event);
            continue;
        }
        if event.meta & RAN_BEFORE != 0 {
            out.push(RawEvent {
                at: previous_at.unwrap_or(event.at),
                task: event.task,
                meta: (event.meta & !(RAN_BEFORE | STATE_MASK)) | state_code(State::Running),
            });
        }
        out.push(RawEvent {
            meta: event.meta & !RAN_BEFORE,
            ..*event
        });
        previous_at = Some(event.at);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_poll_written_as_one_event_reads_as_two() {
        let running = pack(JobKind::Async, State::Running, None);
        let waiting = pack(JobKind::Async, State::Waiting, None) | RAN_BEFORE;
        let ready = pack(JobKind::Async, State::Ready, None);
        let log = [
            RawEvent {
                at: 5,
                task: 1,
                meta: ready,
            },
            RawEvent {
                at: 9,
                task: 2,
                meta: waiting,
            },
        ];
        let mut out = Vec::new();
        expand_runs(&log, &mut out);
        assert_eq!(
            out,
            [
                RawEvent {
                    at: 5,
                    task: 1,
                    meta: ready
                },
                RawEvent {
                    at: 5,
                    task: 2,
                    meta: running
                },
                RawEvent {
                    at: 9,
                    task: 2,
                    meta: waiting & !RAN_BEFORE
                },
            ]
        );
    }

    #[test]
    fn packing_round_trips() {
        for state in [
            State::New,
            State::Ready,
            State::Running,
            State::Waiting,
            State::Terminated,
        ] {
            for kind in [
                JobKind::Async,
                JobKind::Blocking,
                JobKind::Pool,
                JobKind::Process,
            ] {
                let local = unpack(pack(kind, state, None) | (7u64 << LANE_SHIFT));
                assert_eq!(
                    local,
                    Some(Decoded {
                        state,
                        kind,
                        lane: RawLane::Interned(7)
                    })
                );
                let remote = unpack(pack(kind, state, Some(4242)));
                assert_eq!(remote.map(|d| d.lane), Some(RawLane::Process(4242)));
            }
        }
    }

    #[test]
    fn the_same_lane_interns_to_the_same_id() {
        let a = intern(Lane::BlockingThread { index: 990_001 });
        let b = intern(Lane::BlockingThread { index: 990_001 });
        let c = intern(Lane::BlockingThread { index: 990_002 });
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
