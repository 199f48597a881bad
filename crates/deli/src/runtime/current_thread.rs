//! The current-thread scheduler: every task runs on the thread that calls
//! `block_on`, with the same task cells, driver and timers as the
//! multi-thread one. Deterministic, cheap, and what `#[deli::test]` uses by
//! default.
//!
//! Tasks are polled only while some thread is inside `block_on`; tasks
//! spawned meanwhile wait in the queue. If a second thread calls `block_on`
//! while the first is driving, it just waits for its own future and leaves
//! the tasks to the first.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::future::Future;
use std::pin::{pin, Pin};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use async_task::ScheduleInfo;

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::inject::{drain_until_quiet, Inject};
use super::metrics::{RuntimeMetrics, WorkerCounters};
use super::park::Parker;
use crate::coop;
use crate::poison::IgnorePoison;
use crate::task::{OwnedTasks, Runnable, Scheduler};
use crate::trace::{self, Lane, LaneId};

/// Tasks run between two looks at the driver and the injector.
const EVENT_INTERVAL: u32 = 61;

/// While tasks keep the thread busy, the least time between two looks at
/// I/O and timers (each an `epoll_wait` and a clock read). A batch of
/// [`EVENT_INTERVAL`] short polls takes a few microseconds, so a look per
/// batch was a syscall every few microseconds: in `scheduler/yield_many-ct`
/// the syscall path was about 3% of the profile. Bounded in time, a busy
/// runtime still sees I/O and timers within this interval.
const BUSY_LOOK_INTERVAL: Duration = Duration::from_micros(50);

#[derive(Debug)]
pub(crate) struct Shared {
    inject: Inject<Runnable>,
    pub(crate) owned: OwnedTasks,
    pub(crate) driver: Driver,
    pub(crate) blocking: BlockingPool,
    parker: Parker,
    /// The local queue, parked here between `block_on` calls.
    core: Mutex<CoreSlot>,
    shutdown: AtomicBool,
    /// The trace lane of whichever thread drives: this runtime's worker 0.
    lane: LaneId,
    /// Polls and parks of whichever thread drives (one at a time).
    counters: WorkerCounters,
}

#[derive(Debug, Default)]
struct CoreSlot {
    /// `None` while a thread is driving.
    local: Option<VecDeque<Runnable>>,
    /// Threads in `block_on` waiting to take over driving.
    waiters: Vec<Waker>,
}

/// The local queue while a thread is driving the runtime.
struct Core {
    shared: *const Shared,
    local: RefCell<VecDeque<Runnable>>,
}

thread_local! {
    static CURRENT_CORE: Cell<*const Core> = const { Cell::new(ptr::null()) };
}

impl Shared {
    /// A current-thread runtime's shared state; `trace_id` numbers its
    /// trace lane.
    pub(crate) fn new(blocking: BlockingPool, trace_id: u64) -> std::io::Result<Arc<Shared>> {
        Ok(Arc::new(Shared {
            inject: Inject::new(),
            owned: OwnedTasks::new(1),
            driver: Driver::new()?,
            blocking,
            parker: Parker::new(),
            core: Mutex::new(CoreSlot {
                local: Some(VecDeque::new()),
                waiters: Vec::new(),
            }),
            shutdown: AtomicBool::new(false),
            lane: trace::intern(Lane::Worker {
                runtime: trace_id,
                index: 0,
            }),
            counters: WorkerCounters::default(),
        }))
    }

    /// Drives the runtime on this thread until `future` is done. If another
    /// thread is driving, waits for either the future or the chance to
    /// take over driving (when that thread's `block_on` returns).
    ///
    /// # Panics
    ///
    /// When called from inside a task of this same runtime: that thread is
    /// already the one driving, so waiting would deadlock.
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        let mut future = pin!(future);
        loop {
            if let Some(local) = self.take_core() {
                return self.drive(local, future.as_mut());
            }
            if self.is_driven_by_this_thread() {
                panic!(
                    "deli: block_on was called inside a task of the same current-thread \
                     runtime; that would wait for itself forever (spawn the work and \
                     await its ticket instead)"
                );
            }
            let waited = crate::block_on::block_on_until(
                pin!(poll_fn(|cx| {
                    if let Poll::Ready(output) = future.as_mut().poll(cx) {
                        return Poll::Ready(Some(output));
                    }
                    if self.wait_for_core(cx) {
                        Poll::Ready(None)
                    } else {
                        Poll::Pending
                    }
                })),
                None,
            );
            if let Some(Some(output)) = waited {
                return output;
            }
        }
    }

    fn take_core(&self) -> Option<VecDeque<Runnable>> {
        self.core.lock().ignore_poison().local.take()
    }

    /// Whether the core is free to take; if not, `cx` is woken when it is.
    fn wait_for_core(&self, cx: &mut Context<'_>) -> bool {
        let mut slot = self.core.lock().ignore_poison();
        if slot.local.is_some() {
            return true;
        }
        slot.waiters.push(cx.waker().clone());
        false
    }

    fn is_driven_by_this_thread(&self) -> bool {
        CURRENT_CORE.with(|current| {
            let core = current.get();
            // SAFETY: see `schedule`: a non-null pointer is a live `Core`.
            !core.is_null() && ptr::eq(unsafe { (*core).shared }, self)
        })
    }

    fn drive<F: Future + ?Sized>(
        self: &Arc<Self>,
        local: VecDeque<Runnable>,
        mut future: Pin<&mut F>,
    ) -> F::Output {
        let core = Core {
            shared: Arc::as_ptr(self),
            local: RefCell::new(local),
        };
        let _driving = Driving::new(self, &core);
        let _lane = trace::enter_lane(self.lane);

        let main_waker = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            shared: self.clone(),
        });
        let waker = Waker::from(main_waker.clone());
        let mut cx = Context::from_waker(&waker);
        let mut tick: u32 = 0;
        let mut last_busy_look = Instant::now();
        loop {
            if main_waker.woken.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(output) = coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                    return output;
                }
            }
            // Run a batch of tasks even when the main future is already
            // woken again, or a main future that keeps yielding would
            // starve them.
            let mut ran = 0;
            while ran < EVENT_INTERVAL {
                tick = tick.wrapping_add(1);
                let next = if tick % 31 == 0 {
                    self.inject
                        .pop()
                        .or_else(|| core.local.borrow_mut().pop_front())
                } else {
                    let local = core.local.borrow_mut().pop_front();
                    local.or_else(|| self.inject.pop())
                };
                match next {
                    Some(task) => {
                        task.run();
                        ran += 1;
                    }
                    None => break,
                }
            }
            self.counters.polls(ran as u64);
            let idle = ran < EVENT_INTERVAL
                && core.local.borrow().is_empty()
                && self.inject.is_empty()
                && !main_waker.woken.load(Ordering::Acquire);
            if idle {
                // A paused test clock jumps to the next timer instead of
                // sleeping (one relaxed load when it is not paused).
                if self.driver.timers.clock().is_paused() && self.auto_advance(&core, &main_waker) {
                    continue;
                }
                self.counters.park();
                self.parker.park(&self.driver, None);
                crate::task::clock::refresh();
            } else if let Some(mut driver) = self.driver.try_lock() {
                // Busy: look at I/O and timers without blocking, at most
                // every `BUSY_LOOK_INTERVAL`.
                if last_busy_look.elapsed() >= BUSY_LOOK_INTERVAL {
                    crate::task::clock::refresh();
                    driver.park(Some(Duration::ZERO));
                    last_busy_look = Instant::now();
                }
            }
        }
    }

    /// Idle with a paused clock: see `DriverGuard::auto_advance`. Whether to
    /// run again instead of parking.
    fn auto_advance(&self, core: &Core, main_waker: &MainWaker) -> bool {
        let Some(mut driver) = self.driver.try_lock() else {
            return false;
        };
        driver.auto_advance(|| {
            core.local.borrow().is_empty()
                && self.inject.is_empty()
                && !main_waker.woken.load(Ordering::Acquire)
        })
    }

    /// The runtime's counters as of now (see `RuntimeMetrics`).
    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        let queued = self
            .core
            .lock()
            .ignore_poison()
            .local
            .as_ref()
            .map_or(0, VecDeque::len);
        let state = if self.core.lock().ignore_poison().local.is_some() {
            "idle"
        } else {
            "active"
        };
        RuntimeMetrics {
            flavor: "current-thread".to_owned(),
            workers: 1,
            worker_rows: vec![self.counters.read(0, state, queued)],
            injector_depth: self.inject.len(),
            live_tasks: self.owned.len(),
            blocked_episodes: 0,
            blocked_workers: 0,
            spares_in_use: 0,
        }
    }

    /// Drops every task. Called once, by the runtime.
    pub(crate) fn shutdown(&self) {
        self.owned.close();
        self.shutdown.store(true, Ordering::Release);
        let local = self.take_core();
        drop(local);
        drain_until_quiet(&self.owned, &self.inject);
        self.driver.shutdown();
    }
}

/// Marks this thread as driving `shared`, and gives the queue back after.
struct Driving<'a> {
    shared: &'a Shared,
    core: &'a Core,
    previous: *const Core,
}

impl<'a> Driving<'a> {
    fn new(shared: &'a Shared, core: &'a Core) -> Driving<'a> {
        let previous = CURRENT_CORE.with(|current| current.replace(core));
        Driving {
            shared,
            core,
            previous,
        }
    }
}

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        CURRENT_CORE.with(|current| current.set(self.previous));
        let local = std::mem::take(&mut *self.core.local.borrow_mut());
        let mut slot = self.shared.core.lock().ignore_poison();
        if self.shared.shutdown.load(Ordering::Acquire) {
            drop(slot);
            drop(local);
            return;
        }
        slot.local = Some(local);
        let waiters = std::mem::take(&mut slot.waiters);
        drop(slot);
        for waiter in waiters {
            waiter.wake();
        }
    }
}

struct MainWaker {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            self.shared.parker.unpark(&self.shared.driver);
        }
    }
}

impl Scheduler for Shared {
    fn registry(&self) -> Option<&OwnedTasks> {
        Some(&self.owned)
    }

    fn schedule_remote(&self, task: Runnable) {
        match self.inject.push(task) {
            Ok(()) => self.parker.unpark(&self.driver),
            // Shut down: dropping the task resolves its ticket to Shutdown.
            Err(task) => drop(task),
        }
    }
}

/// The schedule function of every task of a current-thread runtime.
pub(crate) fn schedule(task: Runnable, _info: ScheduleInfo) {
    let task = CURRENT_CORE.with(|current| {
        let core = current.get();
        if core.is_null() {
            return Some(task);
        }
        // SAFETY: `Driving` sets the pointer to a `Core` on `block_on`'s
        // stack and restores the previous one before that frame ends.
        let core = unsafe { &*core };
        let task_runtime = Arc::as_ptr(&task.metadata().scheduler) as *const ();
        if task_runtime != core.shared as *const () {
            return Some(task);
        }
        core.local.borrow_mut().push_back(task);
        None
    });
    if let Some(task) = task {
        let scheduler = task.metadata().scheduler.clone();
        scheduler.schedule_remote(task);
    }
}
