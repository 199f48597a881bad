//! [`LocalSet`] and [`spawn_local`]: tasks whose futures are not `Send`,
//! run on the one thread that owns the set.
//!
//! A local set is a small executor of its own: a queue of runnable tasks,
//! a registry of live ones, and the waker of whoever drives it. It runs its
//! tasks only inside [`LocalSet::run_until`] (or [`LocalSet::block_on`]),
//! on the thread that made it — the set is neither `Send` nor `Sync`, so
//! no other thread can reach it. Wakes from other threads (a timer, a
//! channel, the I/O driver) only queue the task; the owner's thread polls
//! it. Dropping the set drops every unfinished task's future there too,
//! and their tickets resolve to [`JobError::Shutdown`]. Inside
//! `run_until` the runtime the thread is in stays current, so local tasks
//! use its timers, I/O and `deli::spawn` as usual.
//!
//! This module owns the set and the thread's "current local set"; it uses
//! `task`, and the `runtime` type only to offer `LocalSet::block_on`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use crate::poison::IgnorePoison;
use crate::task::{
    schedule_through_header, spawn_local_unscheduled, JobError, OwnedTasks, Runnable, Scheduler,
    TaskOptions, Ticket,
};

/// Tasks run per poll of [`LocalSet::run_until`] before it lets the
/// runtime look at I/O and timers (it wakes itself to come back at once).
const BATCH: usize = 64;

/// What the set's tasks' wakers reach, from any thread.
struct Queue {
    tasks: Mutex<VecDeque<Runnable>>,
    owned: OwnedTasks,
    /// The future driving the set (`run_until`), woken when a task is
    /// queued.
    driver: AtomicWaker,
    /// Set by the drop of the set, while it drains its tasks.
    closing: AtomicBool,
}

impl Scheduler for Queue {
    fn registry(&self) -> Option<&OwnedTasks> {
        Some(&self.owned)
    }

    fn schedule_remote(&self, task: Runnable) {
        // Never dropped here, whichever thread this is: the task's future
        // may not be `Send`, so only the owner's thread runs or drops it
        // (the set's drop drains this queue on that thread).
        self.tasks.lock().ignore_poison().push_back(task);
        self.driver.wake();
    }
}

thread_local! {
    /// The set whose `run_until` is being polled on this thread.
    static CURRENT: RefCell<Option<Arc<Queue>>> = const { RefCell::new(None) };
}

/// An executor for futures that are not `Send` (they hold an `Rc`, a
/// `RefCell` borrow across an await, a thread-bound handle), like tokio's
/// `LocalSet` and smol's `LocalExecutor`.
///
/// Spawn with [`LocalSet::spawn_local`], or with [`deli::spawn_local`](spawn_local)
/// from inside one of its tasks; the tasks run while
/// [`run_until`](LocalSet::run_until) is polled (on a current-thread
/// runtime that is the `block_on` thread; on a multi-thread runtime, the
/// thread calling `block_on`). Each spawn returns the usual [`Ticket`].
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let runtime = deli::Runtime::builder().current_thread().build()?;
/// let local = deli::LocalSet::new();
/// let count = Rc::new(Cell::new(0)); // not Send
/// let seen = count.clone();
/// let total = local.block_on(&runtime, async move {
///     let tickets: Vec<_> = (0..3)
///         .map(|_| {
///             let count = seen.clone();
///             deli::spawn_local(async move {
///                 deli::yield_now().await;
///                 count.set(count.get() + 1);
///             })
///         })
///         .collect();
///     for ticket in tickets {
///         ticket.await.unwrap();
///     }
///     seen.get()
/// });
/// assert_eq!(total, 3);
/// assert_eq!(count.get(), 3);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct LocalSet {
    queue: Arc<Queue>,
    /// Neither `Send` nor `Sync`: the tasks belong to this thread.
    _local: PhantomData<Rc<()>>,
}

impl LocalSet {
    /// An empty set, owned by the calling thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = deli::LocalSet::new();
    /// assert_eq!(local.len(), 0);
    /// ```
    pub fn new() -> LocalSet {
        LocalSet {
            queue: Arc::new(Queue {
                tasks: Mutex::new(VecDeque::new()),
                owned: OwnedTasks::new(1),
                driver: AtomicWaker::new(),
                closing: AtomicBool::new(false),
            }),
            _local: PhantomData,
        }
    }

    /// Spawns `future` on this set: it runs on this thread while the set
    /// is driven ([`run_until`](LocalSet::run_until)). The future need
    /// not be `Send`; its output must be, since the ticket may travel.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// let local = deli::LocalSet::new();
    /// let shared = Rc::new(20);
    /// let ticket = local.spawn_local(async move { *shared + 1 });
    /// let answer = runtime.block_on(local.run_until(ticket));
    /// assert_eq!(answer, Ok(21));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> Ticket<F::Output>
    where
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        spawn_on(&self.queue, future, TaskOptions::here())
    }

    /// How many of the set's tasks are still alive (queued, running or
    /// waiting).
    ///
    /// # Examples
    ///
    /// ```
    /// let local = deli::LocalSet::new();
    /// let _ticket = local.spawn_local(async {});
    /// assert_eq!(local.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.queue.owned.len()
    }

    /// Whether the set has no live task.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(deli::LocalSet::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A future that runs `future` and, while it is polled, the set's
    /// tasks; it ends when `future` does (tasks still unfinished wait for
    /// the next `run_until`). Inside it, [`deli::spawn_local`](spawn_local)
    /// spawns onto this set.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// let local = deli::LocalSet::new();
    /// let value = runtime.block_on(local.run_until(async {
    ///     let five = std::rc::Rc::new(5);
    ///     deli::spawn_local(async move { *five }).await.unwrap()
    /// }));
    /// assert_eq!(value, 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil { set: self, future }
    }

    /// Runs `future` to completion on `runtime` (see
    /// [`Runtime::block_on`](super::runtime::Runtime::block_on)) with this set's
    /// tasks running beside it: `runtime.block_on(set.run_until(future))`.
    ///
    /// # Examples
    ///
    /// ```
    /// let runtime = deli::Runtime::builder().current_thread().build()?;
    /// let local = deli::LocalSet::new();
    /// let text = std::rc::Rc::new("local".to_owned());
    /// let length = local.block_on(&runtime, async move {
    ///     deli::spawn_local(async move { text.len() }).await
    /// });
    /// assert_eq!(length, Ok(5));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn block_on<F: Future>(&self, runtime: &super::runtime::Runtime, future: F) -> F::Output {
        runtime.block_on(self.run_until(future))
    }

    /// Runs queued tasks, at most [`BATCH`]; returns whether some are left.
    fn tick(&self) -> bool {
        for _ in 0..BATCH {
            let next = self.queue.tasks.lock().ignore_poison().pop_front();
            match next {
                Some(task) => {
                    task.run();
                }
                None => return false,
            }
        }
        !self.queue.tasks.lock().ignore_poison().is_empty()
    }
}

impl Default for LocalSet {
    fn default() -> Self {
        LocalSet::new()
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // Every unfinished task is woken into the queue and dropped here,
        // on the owner's thread; its ticket says Shutdown. Wakes that race
        // this from other threads land in the queue too: repeat until the
        // registry is empty and the queue stays so.
        self.queue.closing.store(true, Ordering::Release);
        self.queue.owned.close();
        let _current = Entered::new(&self.queue);
        loop {
            let wakers = self.queue.owned.take_all();
            let woke = !wakers.is_empty();
            for waker in wakers {
                waker.wake();
            }
            let drained: Vec<Runnable> =
                self.queue.tasks.lock().ignore_poison().drain(..).collect();
            let dropped = !drained.is_empty();
            drop(drained);
            if !woke && !dropped {
                break;
            }
        }
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.len())
            .finish()
    }
}

/// The future [`LocalSet::run_until`] returns.
///
/// # Examples
///
/// ```
/// let runtime = deli::Runtime::builder().current_thread().build()?;
/// let local = deli::LocalSet::new();
/// let run: deli::runtime::RunUntil<'_, _> = local.run_until(async { 1 });
/// assert_eq!(runtime.block_on(run), 1);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RunUntil<'a, F> {
    set: &'a LocalSet,
    future: F,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out
        // of the pinned `RunUntil`, which has no `Drop` or `Unpin` impl of
        // its own; `set` is a plain reference.
        let this = unsafe { self.get_unchecked_mut() };
        let set = this.set;
        // SAFETY: see above: `future` stays where the pin put it.
        let mut future = unsafe { Pin::new_unchecked(&mut this.future) };
        let _current = Entered::new(&set.queue);
        set.queue.driver.register(cx.waker());
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(output);
        }
        if set.tick() {
            // More queued than one batch: come back after the runtime has
            // had its turn.
            cx.waker().wake_by_ref();
        }
        // The tasks may have finished what the main future waits for; it
        // was woken then and is polled again on the next turn.
        Poll::Pending
    }
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

/// Makes a set this thread's current one, restoring the previous on drop.
struct Entered {
    previous: Option<Arc<Queue>>,
}

impl Entered {
    fn new(queue: &Arc<Queue>) -> Entered {
        let previous = CURRENT.with(|current| current.replace(Some(queue.clone())));
        Entered { previous }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

fn spawn_on<F>(queue: &Arc<Queue>, future: F, options: TaskOptions) -> Ticket<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    if queue.closing.load(Ordering::Acquire) {
        return Ticket::failed(JobError::Shutdown);
    }
    let scheduler: Arc<dyn Scheduler> = queue.clone();
    match spawn_local_unscheduled(
        future,
        options,
        scheduler,
        Some(&queue.owned),
        schedule_through_header,
    ) {
        Ok((runnable, ticket)) => {
            runnable.schedule();
            ticket
        }
        Err(error) => Ticket::failed(error),
    }
}

/// Spawns a future that need not be `Send` onto the [`LocalSet`] running
/// on this thread (inside its [`run_until`](LocalSet::run_until), which
/// includes the set's own tasks), and returns its [`Ticket`].
///
/// Called where no local set runs, the future is dropped and the ticket
/// resolves to [`JobError::NoRuntime`] (tokio's `spawn_local` panics
/// there instead). Await the ticket inside the set (or from another
/// thread): blocking on it with `wait()` on the set's own thread, outside
/// `run_until`, waits for a task nobody runs.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let runtime = deli::Runtime::builder().current_thread().build()?;
/// let local = deli::LocalSet::new();
/// let sum = runtime.block_on(local.run_until(async {
///     let shared = Rc::new(40);
///     let mine = shared.clone();
///     deli::spawn_local(async move { *mine + 2 }).await
/// }));
/// assert_eq!(sum, Ok(42));
/// assert_eq!(deli::spawn_local(async {}).wait_blocking(), Err(deli::JobError::NoRuntime));
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> Ticket<F::Output>
where
    F: Future + 'static,
    F::Output: Send + 'static,
{
    let options = TaskOptions::here();
    let queue = CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten();
    match queue {
        Some(queue) => spawn_on(&queue, future, options),
        None => Ticket::failed(JobError::NoRuntime),
    }
}
