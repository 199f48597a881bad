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
use std::future::Future;
use std::pin::pin;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_task::ScheduleInfo;

use super::blocking::BlockingPool;
use super::driver::Driver;
use super::inject::Inject;
use super::park::Parker;
use crate::coop;
use crate::task::{Header, OwnedTasks, Runnable, Scheduler};

/// Tasks run between two looks at the driver and the injector.
const EVENT_INTERVAL: u32 = 61;

#[derive(Debug)]
pub(crate) struct Shared {
    inject: Inject<Runnable>,
    pub(crate) owned: OwnedTasks,
    pub(crate) driver: Driver,
    pub(crate) blocking: BlockingPool,
    parker: Parker,
    /// The local queue, parked here between `block_on` calls.
    core: Mutex<Option<VecDeque<Runnable>>>,
    shutdown: AtomicBool,
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
    pub(crate) fn new(blocking: BlockingPool) -> std::io::Result<Arc<Shared>> {
        Ok(Arc::new(Shared {
            inject: Inject::new(),
            owned: OwnedTasks::new(1),
            driver: Driver::new()?,
            blocking,
            parker: Parker::new(),
            core: Mutex::new(Some(VecDeque::new())),
            shutdown: AtomicBool::new(false),
        }))
    }

    /// Drives the runtime on this thread until `future` is done.
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        let taken = self.core.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(local) = taken else {
            // Another thread is driving; it runs the tasks, we just wait.
            let mut future = pin!(future);
            return loop {
                if let Some(output) = crate::task::block_on(future.as_mut(), None) {
                    break output;
                }
            };
        };
        let core = Core {
            shared: Arc::as_ptr(self),
            local: RefCell::new(local),
        };
        let _driving = Driving::new(self, &core);

        let main_waker = Arc::new(MainWaker {
            woken: AtomicBool::new(true),
            shared: self.clone(),
        });
        let waker = Waker::from(main_waker.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let mut tick: u32 = 0;
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
            let idle = ran < EVENT_INTERVAL
                && core.local.borrow().is_empty()
                && self.inject.is_empty()
                && !main_waker.woken.load(Ordering::Acquire);
            if idle {
                self.parker.park(&self.driver, None);
            } else if let Some(mut driver) = self.driver.try_lock() {
                // Busy: look at I/O and timers without blocking.
                driver.park(Some(Duration::ZERO));
            }
        }
    }

    /// Drops every task. Called once, by the runtime.
    pub(crate) fn shutdown(&self) {
        self.owned.close();
        self.shutdown.store(true, Ordering::Release);
        let local = self.core.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(local);
        loop {
            let wakers = self.owned.take_all();
            let woke = !wakers.is_empty();
            for waker in wakers {
                waker.wake();
            }
            let mut dropped = false;
            while let Some(task) = self.inject.pop() {
                drop(task);
                dropped = true;
            }
            if !woke && !dropped && self.owned.is_empty() {
                break;
            }
        }
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
        let mut slot = self.shared.core.lock().unwrap_or_else(|p| p.into_inner());
        if self.shared.shutdown.load(Ordering::Acquire) {
            drop(slot);
            drop(local);
        } else {
            *slot = Some(local);
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
    fn wake_for_cancel(&self, header: &Header) {
        self.owned.wake(header);
    }

    fn release(&self, header: &Header) {
        self.owned.remove(header);
    }

    fn schedule_remote(&self, task: Runnable) {
        self.inject.push(task);
        self.parker.unpark(&self.driver);
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
