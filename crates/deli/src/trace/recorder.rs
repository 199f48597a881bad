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
//! [`next_poll_follows`] for the worker's side of it. A thread's state
//! sits behind a plain thread-local pointer (no destructor on the hot
//! path's thread-local, no `RefCell`), and the two events of every poll
//! and a task's first Ready have paths of their own that do no more than
//! they must; everything else goes through [`Local::record`].
//!
//! Lanes are interned process-wide into small ids: threads that are
//! workers, pool threads or blocking threads name their lane once, when
//! they start ([`intern`], [`enter_lane`]); any other thread gets a
//! [`Lane::Thread`] on its first event.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc as StdArc, Mutex, MutexGuard};
use std::time::Duration;

use super::clock::{self, Anchor, Scale};
use super::log::{Budget, EventLog, RawEvent, Writer, CHUNK_EVENTS};
use super::{JobKind, Lane, Trace};
use crate::loom::sync::Arc;
use crate::poison::IgnorePoison;
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
    /// The session `joined` records for, or zero.
    session: u64,
    joined: Option<Joined>,
    lane: u32,
    /// `lane` where the packed `meta` word keeps it (valid once `lane` is
    /// not [`NO_LANE`]).
    lane_bits: u64,
    /// Set by [`next_poll_follows`], used up by the next event.
    follows: bool,
    /// The task, state code and time of this thread's last event.
    last_task: u64,
    last_state: u64,
    last_at: u64,
    /// A Running not written yet (see [`Moment::PollStart`]): the end of
    /// that poll is written with [`RAN_BEFORE`] instead, one event for two.
    pending_run: Option<PendingRun>,
    /// The async task whose poll is running on this thread (zero when
    /// none): the events that poll causes take the time of its start.
    polling: u64,
}

/// A poll's start held back until its end.
struct PendingRun {
    task: u64,
    meta: u64,
    at: u64,
    /// Whether an event after the poll's start carries [`POLL_STARTED`].
    marked: bool,
}

impl Local {
    const fn new() -> Local {
        Local {
            session: 0,
            joined: None,
            lane: NO_LANE,
            lane_bits: 0,
            follows: false,
            last_task: 0,
            last_state: 0,
            last_at: 0,
            pending_run: None,
            polling: 0,
        }
    }

    fn set_lane(&mut self, lane: u32) {
        self.lane = lane;
        self.lane_bits = u64::from(lane) << LANE_SHIFT;
    }
}

struct Joined {
    writer: Writer,
    budget: StdArc<Budget>,
}

thread_local! {
    /// This thread's [`Local`], or null before its first use (and after
    /// the thread's [`OWNER`] has gone). A plain pointer in a cell with no
    /// destructor: the cheapest thread-local there is, read on every event.
    static LOCAL: Cell<*mut Local> = const { Cell::new(std::ptr::null_mut()) };
    /// Owns what [`LOCAL`] points to, and frees it when the thread exits.
    static OWNER: Owner = const { Owner(Cell::new(std::ptr::null_mut())) };
}

/// Frees a thread's [`Local`] when the thread exits.
struct Owner(Cell<*mut Local>);

impl Drop for Owner {
    fn drop(&mut self) {
        let local = self.0.replace(std::ptr::null_mut());
        LOCAL.with(|cell| cell.set(std::ptr::null_mut()));
        if !local.is_null() {
            // SAFETY: `local` came from `Box::into_raw` in `make_local`,
            // is freed only here, once, and [`LOCAL`] no longer hands it
            // out; no borrow of it is alive (thread-local destructors run
            // outside any recording call of this thread).
            drop(unsafe { Box::from_raw(local) });
        }
    }
}

/// This thread's [`Local`], made on first use; `None` once the thread is
/// exiting.
#[inline(always)]
fn local_ptr() -> Option<*mut Local> {
    let local = LOCAL.with(Cell::get);
    if local.is_null() {
        make_local()
    } else {
        Some(local)
    }
}

#[cold]
#[inline(never)]
fn make_local() -> Option<*mut Local> {
    OWNER
        .try_with(|owner| {
            let mut local = owner.0.get();
            if local.is_null() {
                local = Box::into_raw(Box::new(Local::new()));
                owner.0.set(local);
            }
            LOCAL.with(|cell| cell.set(local));
            local
        })
        .ok()
}

/// Runs `f` on this thread's [`Local`] (if the thread is not exiting).
#[inline(always)]
fn with_local<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    let local = local_ptr()?;
    // SAFETY: `local` is this thread's own `Local`, alive until its
    // `Owner` drops (which nulls the pointer first). Only this thread
    // reaches it, and only through `with_local`, whose callers (recording,
    // lanes, `time_passes`, `next_poll_follows`) never call one another
    // while they hold it: nothing they call records. So this `&mut` is the
    // only reference to it while it lives.
    Some(f(unsafe { &mut *local }))
}

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().ignore_poison()
}

fn lanes() -> MutexGuard<'static, LaneTable> {
    LANES.lock().ignore_poison()
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
    let previous = with_local(|local| {
        let previous = local.lane;
        local.set_lane(lane.0);
        previous
    })
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
        if !LOCAL.with(Cell::get).is_null() {
            with_local(|local| local.set_lane(previous));
        }
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
    if !LOCAL.with(Cell::get).is_null() {
        with_local(|local| {
            local.follows = false;
            local.last_task = 0;
            local.polling = 0;
        });
    }
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
    let meta = pack(kind, state, None);
    // The two events of every poll have lean paths of their own; the rest
    // (and every event of a named task) takes the general one.
    match (at, name) {
        (Moment::PollStart, None) => record_poll_start(session, task, meta),
        (Moment::Now, None) => record_now(session, task.as_u64(), meta),
        (Moment::RightAfter, None) => record_right_after(session, task.as_u64(), meta),
        _ => record_packed(session, task, meta, name, at),
    }
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
    // A thread without a `Local` has no last event to follow.
    if is_enabled() && !LOCAL.with(Cell::get).is_null() {
        with_local(|local| local.follows = follows);
    }
}

/// What [`Local::polling`] holds while a thread runs a poll that is not a
/// task's (`block_on`'s future): no task id is this large.
const THREAD_POLL: u64 = u64::MAX;

/// Runs `poll`, one poll of a future that is not a task (the future of a
/// `block_on`), as a poll whose events take its start time, like those an
/// async task's poll causes: the clock is read once, here, instead of once
/// per task the poll spawns or wakes.
#[inline]
pub(crate) fn thread_poll<R>(poll: impl FnOnce() -> R) -> R {
    let session = session();
    if session == 0 {
        return poll();
    }
    let _poll = with_local(|local| local.begin_thread_poll(session)).flatten();
    poll()
}

/// Ends a poll begun by [`thread_poll`] (even one that panics): the thread
/// gets back what it was polling before (a task, when a `block_on` runs
/// inside a task's poll).
struct ThreadPoll {
    outer: u64,
}

impl Drop for ThreadPoll {
    fn drop(&mut self) {
        if !LOCAL.with(Cell::get).is_null() {
            with_local(|local| local.polling = self.outer);
        }
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
    with_local(|local| local.record(session, task.as_u64(), meta, name, moment));
}

/// [`record_in`] at [`Moment::PollStart`], without a name: what
/// [`Local::record`] does, inline and with as little as it takes when the
/// poll follows the thread's last event at once (no clock, nothing
/// written: the poll's end will say it).
#[inline(always)]
fn record_poll_start(session: u64, task: TaskId, meta: u64) {
    let local = LOCAL.with(Cell::get);
    if !local.is_null() {
        // SAFETY: as in `with_local` (a non-null `LOCAL` is this thread's
        // live `Local`, and nothing else borrows it now).
        let local = unsafe { &mut *local };
        if local.session == session
            && local.follows
            && local.last_at != 0
            && local.lane != NO_LANE
            && local.pending_run.is_none()
        {
            local.follows = false;
            local.pending_run = Some(PendingRun {
                task: task.as_u64(),
                meta: meta | local.lane_bits,
                at: local.last_at,
                marked: false,
            });
            local.last_task = task.as_u64();
            local.last_state = meta & STATE_MASK;
            local.polling = async_poll(task.as_u64(), meta);
            return;
        }
    }
    record_packed(session, task, meta, None, Moment::PollStart);
}

/// [`record_in`] at [`Moment::Now`], without a name, for a thread-lane
/// event: what [`Local::record`] does, with as little as it takes.
#[inline(never)]
fn record_now(session: u64, task: u64, meta: u64) {
    with_local(|local| {
        if local.session != session || local.lane == NO_LANE {
            local.record(session, task, meta, None, Moment::Now);
            return;
        }
        local.follows = false;
        let at = local.time_for(task);
        local.write(task, meta | local.lane_bits, at);
    });
}

/// [`record_in`] at [`Moment::RightAfter`], without a name, for a
/// thread-lane event: what [`Local::record`] does, with as little as it
/// takes.
#[inline(never)]
fn record_right_after(session: u64, task: u64, meta: u64) {
    with_local(|local| {
        if local.session != session || local.lane == NO_LANE || local.last_task != task {
            local.record(session, task, meta, None, Moment::RightAfter);
            return;
        }
        local.follows = false;
        if local.last_state != meta & STATE_MASK {
            local.write(task, meta | local.lane_bits, local.last_at);
        }
    });
}

/// `task` if its poll, starting now (`meta`), is an async task's: the one
/// whose start the events it causes may take; zero otherwise.
#[inline(always)]
fn async_poll(task: u64, meta: u64) -> u64 {
    if (meta >> KIND_SHIFT) & 0xff == kind_code(JobKind::Async) {
        task
    } else {
        0
    }
}

impl Local {
    /// Starts a [`thread_poll`] in `session` (joining it first if this
    /// thread has not yet): reads the clock for its events.
    #[cold]
    #[inline(never)]
    fn begin_thread_poll(&mut self, session: u64) -> Option<ThreadPoll> {
        if self.session != session && !self.rejoin(session) {
            return None;
        }
        if self.lane == NO_LANE {
            self.set_lane(thread_lane_id());
        }
        self.last_at = clock::now();
        self.last_task = 0;
        Some(ThreadPoll {
            outer: std::mem::replace(&mut self.polling, THREAD_POLL),
        })
    }

    /// The time of an event of `task` on this thread now: inside another
    /// task's async poll, that poll's start (the latest time this thread
    /// has; nothing it recorded since read the clock); otherwise the clock.
    #[inline(always)]
    fn time_for(&self, task: u64) -> u64 {
        if self.polling != 0 && self.polling != task {
            self.last_at
        } else {
            clock::now()
        }
    }

    /// Writes an ordinary event of a thread lane (`meta` has the lane) at
    /// `at`, joined to a held-back poll start as [`PendingRun`] says.
    #[inline(always)]
    fn write(&mut self, task: u64, mut meta: u64, at: u64) {
        if let Some(run) = &mut self.pending_run {
            if !run.marked {
                run.marked = true;
                meta |= POLL_STARTED;
            }
            if run.task == task {
                meta |= RAN_BEFORE;
                self.pending_run = None;
            }
        }
        if self.polling == task {
            self.polling = 0;
        }
        self.last_task = task;
        self.last_state = meta & STATE_MASK;
        self.last_at = at;
        if let Some(joined) = self.joined.as_mut() {
            joined
                .writer
                .push_event(RawEvent { at, task, meta }, &joined.budget);
        }
    }

    /// Any event: joins the session, names the thread's lane, writes a
    /// task's name (all out of line, as rare) and reuses times as
    /// [`Moment`] says.
    #[inline(never)]
    fn record(&mut self, session: u64, task: u64, meta: u64, name: Option<&str>, moment: Moment) {
        if self.session != session && !self.rejoin(session) {
            return;
        }
        let mut meta = meta;
        if meta & PID_LANE == 0 {
            if self.lane == NO_LANE {
                self.set_lane(thread_lane_id());
            }
            meta |= self.lane_bits;
        }
        let state = meta & STATE_MASK;
        let follows = std::mem::take(&mut self.follows);
        let at = match moment {
            Moment::RightAfter if self.last_task == task => {
                if self.last_state == state {
                    return;
                }
                self.last_at
            }
            Moment::PollStart if follows && self.last_at != 0 && name.is_none() => {
                // Written with the poll's end (or on its own if another
                // poll starts first).
                if self.pending_run.is_some() {
                    self.flush_pending_run();
                }
                self.pending_run = Some(PendingRun {
                    task,
                    meta,
                    at: self.last_at,
                    marked: false,
                });
                self.last_task = task;
                self.last_state = state;
                self.polling = async_poll(task, meta);
                return;
            }
            Moment::PollStart => {
                let at = clock::now();
                self.polling = async_poll(task, meta);
                at
            }
            _ if meta & PID_LANE == 0 => self.time_for(task),
            _ => clock::now(),
        };
        if let Some(run) = &mut self.pending_run {
            if !run.marked {
                run.marked = true;
                meta |= POLL_STARTED;
            }
            if run.task == task && meta & PID_LANE == 0 {
                meta |= RAN_BEFORE;
                self.pending_run = None;
            }
        }
        if self.polling == task && meta & PID_LANE == 0 && state != state_code(State::Running) {
            self.polling = 0;
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
            .push_event(RawEvent { at, task, meta }, &joined.budget);
    }

    /// Writes a Running held back by [`Moment::PollStart`] as an event of
    /// its own, at the time it stands for.
    #[cold]
    #[inline(never)]
    fn flush_pending_run(&mut self) {
        let (Some(run), Some(joined)) = (self.pending_run.take(), self.joined.as_mut()) else {
            return;
        };
        let event = RawEvent {
            at: run.at,
            task: run.task,
            meta: run.meta,
        };
        joined.writer.push_event(event, &joined.budget);
    }

    /// Leaves the session this thread recorded for last and joins
    /// `session`; false if that session has stopped already.
    #[cold]
    #[inline(never)]
    fn rejoin(&mut self, session: u64) -> bool {
        let previous = self.joined.take().map(|joined| joined.writer);
        self.joined = join(session, previous);
        self.session = if self.joined.is_some() { session } else { 0 };
        self.last_task = 0;
        self.last_at = 0;
        self.pending_run = None;
        self.polling = 0;
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
    Some(Joined { writer, budget })
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
/// The task also entered Running, at the start of the poll that
/// [`POLL_STARTED`] marked (this event, or one before it): a poll and how
/// it ended, written as one event.
const RAN_BEFORE: u64 = 1 << 17;
/// A poll started, straight after the log's previous ordinary events (at
/// the latest time among them), before this event; its task is the next
/// event with [`RAN_BEFORE`].
const POLL_STARTED: u64 = 1 << 18;
/// The state code of a Running that [`expand_runs`] holds a place for
/// until it learns the task: skipped by `unpack` if it never does.
const UNFILLED: u64 = 0xfe;
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
/// [`RAN_BEFORE`]) as its two: Running, in its place in the log, then how
/// the poll ended.
fn expand_runs(log: &[RawEvent], out: &mut Vec<RawEvent>) {
    // The latest time so far: a Running written on its own (another poll
    // started before its poll's end) carries an earlier one.
    let mut latest: Option<u64> = None;
    let mut held: Option<usize> = None;
    for event in log {
        if event.name().is_some() {
            out.push(*event);
            continue;
        }
        let started_at = latest.unwrap_or(event.at);
        if event.meta & POLL_STARTED != 0 {
            // Its task comes with the poll's end; a place nobody fills (the
            // poll ran past `stop()`) stays `UNFILLED`, which no event reads.
            held = Some(out.len());
            out.push(RawEvent {
                at: started_at,
                task: 0,
                meta: UNFILLED,
            });
        }
        if event.meta & RAN_BEFORE != 0 {
            let running = RawEvent {
                at: started_at,
                task: event.task,
                meta: (event.meta & !(RAN_BEFORE | POLL_STARTED | STATE_MASK))
                    | state_code(State::Running),
            };
            match held.take() {
                Some(place) => {
                    out[place] = RawEvent {
                        at: out[place].at,
                        ..running
                    };
                }
                None => out.push(running),
            }
        }
        out.push(RawEvent {
            meta: event.meta & !(RAN_BEFORE | POLL_STARTED),
            ..*event
        });
        latest = Some(latest.map_or(event.at, |latest| latest.max(event.at)));
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
    fn a_poll_with_events_inside_keeps_its_start_and_its_place() {
        let meta = |state| pack(JobKind::Async, state, None);
        let log = [
            RawEvent {
                at: 5,
                task: 1,
                meta: meta(State::Waiting),
            },
            // Task 2's poll starts at 5; it spawns task 3 at 7 and ends at 9.
            RawEvent {
                at: 7,
                task: 3,
                meta: meta(State::New) | POLL_STARTED,
            },
            RawEvent {
                at: 7,
                task: 3,
                meta: meta(State::Ready),
            },
            RawEvent {
                at: 9,
                task: 2,
                meta: meta(State::Terminated) | RAN_BEFORE,
            },
            // A poll that ran past `stop()`: its place stays unfilled.
            RawEvent {
                at: 11,
                task: 4,
                meta: meta(State::New) | POLL_STARTED,
            },
        ];
        let mut out = Vec::new();
        expand_runs(&log, &mut out);
        let read: Vec<(u64, u64, Option<State>)> = out
            .iter()
            .map(|e| (e.at, e.task, unpack(e.meta).map(|d| d.state)))
            .collect();
        assert_eq!(
            read,
            [
                (5, 1, Some(State::Waiting)),
                (5, 2, Some(State::Running)),
                (7, 3, Some(State::New)),
                (7, 3, Some(State::Ready)),
                (9, 2, Some(State::Terminated)),
                (9, 0, None),
                (11, 4, Some(State::New)),
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
