//! The timer driver: [`Timers`], the one timing wheel that every thread of a
//! runtime registers its timers with, behind a std `Mutex`; the thread-local
//! "current driver" that a [`Sleep`](super::Sleep) binds to at its first poll;
//! and the global fallback driver, run by one lazily started thread named
//! `deli-timer`, for timers awaited where no runtime is current.
//!
//! Lock discipline: no user code runs under the lock. Wakers are cloned
//! before it is taken, and woken or dropped after it is released (dropping a
//! waker may drop a task, whose futures may hold timers of this very driver),
//! in bounded batches so that a burst of expiries never holds the lock long.
//! The runtime's `unpark` callback is also called outside the lock.
//!
//! This module may call only the wheel ([`super::wheel`]), the leaves
//! `crate::wake_batch` and `crate::current_slot`, and std.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::Waker;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::clock::Clock;
use super::wheel::{TimerKey, Wheel, MAX_TICK};
use crate::current_slot;
use crate::poison::IgnorePoison;
use crate::wake_batch::WakeBatch;

/// One tick of the wheel: the timers' resolution.
const NANOS_PER_TICK: u128 = 1_000_000;

/// A deadline so far away that it stands for "never" (about 30 years).
pub(crate) fn far_future(from: Instant) -> Instant {
    const THIRTY_YEARS: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    // A monotonic clock counts from boot, so 30 years past it fits every
    // platform's `Instant`; the shorter fallbacks only keep this panic-free.
    from.checked_add(THIRTY_YEARS)
        .or_else(|| from.checked_add(Duration::from_secs(24 * 60 * 60)))
        .unwrap_or(from)
}

/// The timer driver shared by all threads of one runtime.
///
/// Whoever drives it (a runtime worker that would otherwise park, or the
/// fallback thread) follows this protocol:
///
/// ```text
/// loop {
///     timers.process(Instant::now());          // wake what is due
///     let next = timers.next_deadline();
///     timers.set_parked_until(next);           // announce, then
///     park until `next` (or indefinitely if None), or until `unpark` is called
/// }
/// ```
pub(crate) struct Timers {
    /// Tick 0 of the wheel.
    origin: Instant,
    state: Mutex<State>,
    /// Mirrors `State::shut_down` so that a pending `Sleep` can notice the
    /// shutdown on its poll without taking the lock.
    is_shut_down: AtomicBool,
    /// The fallback driver never hands its timers on to anyone else.
    is_fallback: bool,
    unpark: Box<dyn Fn() + Send + Sync>,
    /// The time these timers are measured against (the paused test clock
    /// lives here, so it is per runtime).
    clock: Clock,
}

struct State {
    wheel: Wheel<Waker>,
    parked: Parked,
    shut_down: bool,
}

/// What the driving thread last announced with `set_parked_until`.
#[derive(Debug, Clone, Copy)]
enum Parked {
    /// Not blocked on timers, or already unparked since the announcement.
    Awake,
    Until(Instant),
    Indefinitely,
}

impl Parked {
    /// Whether a timer due at `due` must interrupt the announced sleep. The
    /// first "yes" uses the announcement up, so a burst of registrations
    /// costs one `unpark`, not one each.
    fn claim_unpark(&mut self, due: Instant) -> bool {
        let needed = match *self {
            Parked::Awake => false,
            Parked::Indefinitely => true,
            Parked::Until(until) => due < until,
        };
        if needed {
            *self = Parked::Awake;
        }
        needed
    }
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("origin", &self.origin)
            .field("is_shut_down", &self.is_shut_down())
            .field("is_fallback", &self.is_fallback)
            .finish_non_exhaustive()
    }
}

impl Timers {
    /// A new driver with an empty wheel. `unpark` is called (never under a
    /// lock) when a timer is registered whose deadline is earlier than the
    /// time the parked driving thread announced with
    /// [`set_parked_until`](Self::set_parked_until); it must interrupt that
    /// thread's sleep. It is called at most once per announcement.
    pub(crate) fn new(unpark: Box<dyn Fn() + Send + Sync>) -> Arc<Timers> {
        Timers::build(unpark, false)
    }

    fn build(unpark: Box<dyn Fn() + Send + Sync>, is_fallback: bool) -> Arc<Timers> {
        Arc::new(Timers {
            origin: Instant::now(),
            state: Mutex::new(State {
                wheel: Wheel::new(),
                parked: Parked::Awake,
                shut_down: false,
            }),
            is_shut_down: AtomicBool::new(false),
            is_fallback,
            unpark,
            clock: Clock::new(),
        })
    }

    /// When `process` next has work: the earliest timer's deadline, or an
    /// earlier instant at which the wheel must cascade timers to finer slots
    /// (a spurious but harmless wake-up). At or before now if timers are due.
    /// `None` if no timer is pending.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let next = self.lock().wheel.next_expiration();
        next.map(|tick| self.tick_instant(tick))
    }

    /// Wakes every timer whose deadline is at or before `now`; returns how
    /// many fired. A timer fires only once `now` is at or past its deadline
    /// rounded up to the next whole millisecond, so never early.
    pub(crate) fn process(&self, now: Instant) -> usize {
        let now_tick = self.now_tick(now);
        let mut fired = 0;
        let mut batch = WakeBatch::new();
        loop {
            {
                let mut state = self.lock();
                while !batch.is_full() {
                    match state.wheel.poll_expired(now_tick) {
                        Some(expired) => {
                            debug_assert!(expired.deadline <= now_tick, "timer fired early");
                            batch.push(expired.value);
                        }
                        None => break,
                    }
                }
            }
            let was_full = batch.is_full();
            fired += batch.wake_all();
            if !was_full {
                return fired;
            }
        }
    }

    /// The thread that is about to block waiting for the next timer says
    /// until when: `Some(t)` means it blocks until `t` at the latest, `None`
    /// means it blocks with no timeout (no timer was pending), so that any
    /// new timer must wake it. Registering a timer due before the announced
    /// time calls `unpark`, once; so does this call itself, if a timer due
    /// before `until` was registered after the caller read `next_deadline`.
    ///
    /// The announcement stays in force until `unpark` has been called for it
    /// or the next call replaces it; there is no separate "awake" call. A
    /// stale announcement costs at most one spurious `unpark`.
    pub(crate) fn set_parked_until(&self, until: Option<Instant>) {
        let must_unpark = {
            let mut state = self.lock();
            state.parked = match until {
                Some(until) => Parked::Until(until),
                None => Parked::Indefinitely,
            };
            match state.wheel.next_expiration() {
                Some(tick) => state.parked.claim_unpark(self.tick_instant(tick)),
                None => false,
            }
        };
        if must_unpark {
            (self.unpark)();
        }
    }

    /// The runtime shut down: wakes every pending timer. A woken `Sleep`
    /// whose deadline has not come yet moves to the global fallback driver
    /// on its next poll, as does every timer registered here from now on, so
    /// timers keep their deadlines: none fires early, none hangs or panics.
    pub(crate) fn shutdown(&self) {
        self.lock().shut_down = true;
        self.is_shut_down.store(true, Ordering::Release);
        let mut batch = WakeBatch::new();
        loop {
            {
                let mut state = self.lock();
                while !batch.is_full() {
                    match state.wheel.pop_any() {
                        Some(waker) => batch.push(waker),
                        None => break,
                    }
                }
            }
            let was_full = batch.is_full();
            batch.wake_all();
            if !was_full {
                return;
            }
        }
    }

    /// The clock these timers follow.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Pauses [`clock`](Self::clock), first moving it forward (by less than
    /// a millisecond) to a whole tick, so that on a paused clock a sleep of
    /// whole milliseconds ends exactly at its deadline.
    pub(crate) fn pause_clock(&self) {
        self.clock
            .pause_aligned(|now| self.tick_instant(self.deadline_tick(now)));
    }

    /// The time now on [`clock`](Self::clock).
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Whether [`shutdown`](Self::shutdown) has been called.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.is_shut_down.load(Ordering::Acquire)
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.lock().wheel.len()
    }

    /// Registers `waker` to be woken at `deadline`; on a shut-down driver,
    /// with the fallback driver instead.
    fn register(self: &Arc<Self>, deadline: Instant, waker: Waker) -> Registration {
        let tick = self.deadline_tick(deadline);
        let mut state = self.lock();
        if state.shut_down && !self.is_fallback {
            drop(state);
            return fallback().register(deadline, waker);
        }
        let key = state.wheel.insert(tick, waker);
        let must_unpark = state.parked.claim_unpark(self.tick_instant(tick));
        drop(state);
        if must_unpark {
            (self.unpark)();
        }
        Registration {
            timers: Arc::clone(self),
            key,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing that runs under this lock can panic half-way through a
        // change to the wheel, so a poisoned lock still guards a sound wheel.
        self.state.lock().ignore_poison()
    }

    /// The first tick at or after `deadline` (deadlines round up).
    fn deadline_tick(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.origin).as_nanos();
        clamp_tick(nanos.div_ceil(NANOS_PER_TICK))
    }

    /// The last tick at or before `now` (the present rounds down).
    fn now_tick(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.origin).as_nanos();
        clamp_tick(nanos / NANOS_PER_TICK)
    }

    fn tick_instant(&self, tick: u64) -> Instant {
        self.origin
            .checked_add(Duration::from_millis(tick))
            .unwrap_or_else(|| far_future(self.origin))
    }
}

fn clamp_tick(ticks: u128) -> u64 {
    u64::try_from(ticks).map_or(MAX_TICK, |ticks| ticks.min(MAX_TICK))
}

/// One pending timer; removes itself from its driver on drop.
#[derive(Debug)]
pub(crate) struct Registration {
    timers: Arc<Timers>,
    key: TimerKey,
}

impl Registration {
    /// Registers `waker` to be woken at `deadline` with the current thread's
    /// driver, or with the fallback driver if there is none (or it has shut down).
    pub(crate) fn new(deadline: Instant, waker: Waker) -> Registration {
        match current() {
            Some(timers) if !timers.is_shut_down() => timers.register(deadline, waker),
            _ => fallback().register(deadline, waker),
        }
    }

    /// Whether this timer's driver has shut down, so that the timer may have
    /// been woken without being due and must move (see [`Self::update`]).
    pub(crate) fn is_orphaned(&self) -> bool {
        !self.timers.is_fallback && self.timers.is_shut_down()
    }

    /// Makes sure the timer is pending at `deadline` with `waker`: updates
    /// the entry in place, or registers it anew if it is gone (it fired, or
    /// its driver shut down, in which case it moves to the fallback driver).
    pub(crate) fn update(&mut self, deadline: Instant, waker: &Waker) {
        let waker = waker.clone();
        let tick = self.timers.deadline_tick(deadline);
        let mut state = self.timers.lock();
        if state.shut_down && !self.timers.is_fallback {
            let stale = state.wheel.remove(self.key);
            drop(state);
            drop(stale);
            let moved = fallback().register(deadline, waker);
            // The old registration's drop finds its entry gone: a no-op.
            drop(std::mem::replace(self, moved));
            return;
        }
        let replaced = match state.wheel.get_mut(self.key) {
            Some(registered) => {
                let replaced = std::mem::replace(registered, waker);
                state.wheel.reschedule(self.key, tick);
                Some(replaced)
            }
            None => {
                self.key = state.wheel.insert(tick, waker);
                None
            }
        };
        let must_unpark = state.parked.claim_unpark(self.timers.tick_instant(tick));
        drop(state);
        drop(replaced);
        if must_unpark {
            (self.timers.unpark)();
        }
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn timers(&self) -> &Arc<Timers> {
        &self.timers
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let removed = self.timers.lock().wheel.remove(self.key);
        drop(removed);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Timers>>> = const { RefCell::new(None) };
}

/// Restores the previously current timer driver when dropped; see
/// [`enter`].
pub(crate) type EnterGuard = current_slot::EnterGuard<Timers>;

/// Make `timers` the current thread's timer driver until the guard drops
/// (restores the previous one). Guards nest.
pub(crate) fn enter(timers: &Arc<Timers>) -> EnterGuard {
    current_slot::enter(&CURRENT, timers)
}

/// Runs `f` with the current thread's timer driver, if a runtime has
/// entered one (without cloning the `Arc`).
pub(crate) fn with_current<R>(f: impl FnOnce(&Timers) -> R) -> Option<R> {
    current_slot::with_current(&CURRENT, |timers| f(timers))
}

/// The current thread's timer driver, if a runtime has entered one.
pub(crate) fn current() -> Option<Arc<Timers>> {
    current_slot::current(&CURRENT)
}

static FALLBACK: OnceLock<Arc<Timers>> = OnceLock::new();
/// Set by the fallback thread itself before it first announces a park.
static FALLBACK_THREAD: OnceLock<Thread> = OnceLock::new();
static FALLBACK_STARTED: AtomicBool = AtomicBool::new(false);
static FALLBACK_SPAWN: Mutex<()> = Mutex::new(());

/// The global driver for timers awaited where no runtime is current, with
/// its thread started on first use.
pub(crate) fn fallback() -> &'static Arc<Timers> {
    let timers = FALLBACK.get_or_init(|| Timers::build(Box::new(unpark_fallback_thread), true));
    if !FALLBACK_STARTED.load(Ordering::Acquire) {
        start_fallback_thread(timers);
    }
    timers
}

fn unpark_fallback_thread() {
    // Before the thread has recorded itself it has not announced a park yet,
    // and its first `set_parked_until` will see every timer registered so far.
    if let Some(thread) = FALLBACK_THREAD.get() {
        thread.unpark();
    }
}

fn start_fallback_thread(timers: &'static Arc<Timers>) {
    let _spawning = FALLBACK_SPAWN.lock().ignore_poison();
    if FALLBACK_STARTED.load(Ordering::Acquire) {
        return;
    }
    let spawned = thread::Builder::new()
        .name("deli-timer".into())
        .spawn(move || drive_fallback(timers));
    // If the OS refuses a thread now, the next timer registered tries again.
    if spawned.is_ok() {
        FALLBACK_STARTED.store(true, Ordering::Release);
    }
}

fn drive_fallback(timers: &Timers) {
    let _ = FALLBACK_THREAD.set(thread::current());
    loop {
        timers.process(Instant::now());
        let next = timers.next_deadline();
        timers.set_parked_until(next);
        match next {
            Some(deadline) => {
                let now = Instant::now();
                if deadline > now {
                    thread::park_timeout(deadline - now);
                }
            }
            None => thread::park(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::CountingWaker;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;

    fn counting_unpark() -> (Arc<AtomicUsize>, Box<dyn Fn() + Send + Sync>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&count);
        let unpark = Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        (count, unpark)
    }

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let timers = Timers::new(Box::new(|| {}));
        let origin = timers.origin;
        let tiny = Duration::from_nanos(1);
        assert_eq!(timers.deadline_tick(origin), 0);
        assert_eq!(timers.deadline_tick(origin + tiny), 1);
        assert_eq!(timers.deadline_tick(origin + Duration::from_millis(3)), 3);
        assert_eq!(timers.now_tick(origin + Duration::from_micros(2_999)), 2);
        assert_eq!(timers.now_tick(origin + Duration::from_millis(3)), 3);
        assert_eq!(
            timers.deadline_tick(far_future(origin)),
            30 * 365 * 86_400_000
        );
    }

    #[test]
    fn process_wakes_due_timers_only_and_never_early() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = enter(&timers);
        let base = timers.origin;
        let (early, early_waker) = CountingWaker::new();
        let (late, late_waker) = CountingWaker::new();
        let deadline = base + Duration::from_micros(10_500);
        let _a = Registration::new(deadline, early_waker);
        let _b = Registration::new(base + Duration::from_millis(500), late_waker);
        assert_eq!(timers.len(), 2);
        assert_eq!(
            timers.next_deadline(),
            Some(base + Duration::from_millis(11))
        );

        assert_eq!(timers.process(base + Duration::from_micros(10_999)), 0);
        assert_eq!(early.wakes(), 0, "10.5 ms rounds up to 11 ms");
        assert_eq!(timers.process(base + Duration::from_millis(11)), 1);
        assert_eq!((early.wakes(), late.wakes()), (1, 0));
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn earlier_registration_unparks_once_per_announcement() {
        let (unparks, unpark) = counting_unpark();
        let timers = Timers::new(unpark);
        let _guard = enter(&timers);
        let base = timers.origin;
        let waker = || Waker::noop().clone();

        timers.set_parked_until(Some(base + Duration::from_millis(100)));
        let _later = Registration::new(base + Duration::from_millis(200), waker());
        assert_eq!(unparks.load(Ordering::SeqCst), 0);
        let _earlier = Registration::new(base + Duration::from_millis(50), waker());
        let _earliest = Registration::new(base + Duration::from_millis(10), waker());
        assert_eq!(
            unparks.load(Ordering::SeqCst),
            1,
            "one unpark per announcement"
        );

        timers.set_parked_until(None);
        assert_eq!(
            unparks.load(Ordering::SeqCst),
            2,
            "parking indefinitely with timers pending unparks at once"
        );
        timers.set_parked_until(Some(base + Duration::from_millis(10)));
        assert_eq!(unparks.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn parked_indefinitely_is_unparked_by_any_registration() {
        let (unparks, unpark) = counting_unpark();
        let timers = Timers::new(unpark);
        let _guard = enter(&timers);
        timers.set_parked_until(None);
        assert_eq!(unparks.load(Ordering::SeqCst), 0);
        let _far = Registration::new(far_future(Instant::now()), Waker::noop().clone());
        assert_eq!(unparks.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn wakers_are_woken_and_dropped_outside_the_lock() {
        // A waker that registers and drops timers of the same driver when
        // woken or dropped would deadlock if either happened under the lock.
        struct ReentrantWaker(Arc<Timers>);
        impl std::task::Wake for ReentrantWaker {
            fn wake(self: Arc<Self>) {
                let _guard = enter(&self.0);
                drop(Registration::new(Instant::now(), Waker::noop().clone()));
            }
        }
        impl Drop for ReentrantWaker {
            fn drop(&mut self) {
                let _guard = enter(&self.0);
                drop(Registration::new(Instant::now(), Waker::noop().clone()));
            }
        }

        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let timers = Timers::new(Box::new(|| {}));
            let _guard = enter(&timers);
            let now = Instant::now();
            let wake = || Waker::from(Arc::new(ReentrantWaker(Arc::clone(&timers))));
            let mut kept: Vec<_> = (0..100).map(|_| Registration::new(now, wake())).collect();
            let mut replaced = Registration::new(now + Duration::from_secs(60), wake());
            replaced.update(now + Duration::from_secs(60), &wake());
            drop(replaced);
            let fired = timers.process(now + Duration::from_millis(1));
            kept.clear();
            timers.shutdown();
            let _ = done_tx.send(fired);
        });
        let fired = done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("no deadlock");
        assert_eq!(fired, 100);
    }

    #[test]
    fn shutdown_wakes_all_and_moves_later_registrations_to_fallback() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = enter(&timers);
        let far = Instant::now() + Duration::from_secs(3_600);
        let counters: Vec<_> = (0..100).map(|_| CountingWaker::new()).collect();
        let regs: Vec<_> = counters
            .iter()
            .map(|(_, waker)| Registration::new(far, waker.clone()))
            .collect();
        assert_eq!(timers.len(), 100);

        timers.shutdown();
        assert!(timers.is_shut_down());
        assert_eq!(timers.len(), 0);
        assert!(counters.iter().all(|(count, _)| count.wakes() == 1));
        assert!(regs.iter().all(Registration::is_orphaned));

        let later = Registration::new(far, Waker::noop().clone());
        assert!(Arc::ptr_eq(later.timers(), fallback()));
        let mut moved = Registration::new(far, Waker::noop().clone());
        assert!(Arc::ptr_eq(moved.timers(), fallback()));
        let mut orphan = regs.into_iter().next().expect("100 registrations");
        orphan.update(far, Waker::noop());
        assert!(Arc::ptr_eq(orphan.timers(), fallback()));
        moved.update(far, Waker::noop());
        assert_eq!(timers.len(), 0);
        assert_eq!(timers.process(far), 0);
    }

    #[test]
    fn enter_nests_and_restores() {
        assert!(current().is_none());
        let outer = Timers::new(Box::new(|| {}));
        let inner = Timers::new(Box::new(|| {}));
        let outer_guard = enter(&outer);
        {
            let _inner_guard = enter(&inner);
            assert!(Arc::ptr_eq(&current().expect("inner"), &inner));
        }
        assert!(Arc::ptr_eq(&current().expect("outer"), &outer));
        drop(outer_guard);
        assert!(current().is_none());
    }

    #[test]
    fn fallback_thread_fires_registrations_made_without_a_runtime() {
        assert!(current().is_none());
        let (count, waker) = CountingWaker::new();
        let registration = Registration::new(Instant::now() + Duration::from_millis(5), waker);
        assert!(Arc::ptr_eq(registration.timers(), fallback()));
        let bound = Instant::now() + Duration::from_secs(5);
        while count.wakes() == 0 && Instant::now() < bound {
            thread::sleep(Duration::from_millis(1));
        }
        let fired = (count.wakes() == 1).then_some(());
        assert!(fired.is_some(), "fallback driver woke the timer within 5 s");
    }
}
