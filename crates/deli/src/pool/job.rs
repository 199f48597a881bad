//! What the pool's queues hold: submitted task cells, and references to
//! jobs that live on a waiting thread's stack (the halves of `join`).
//!
//! A [`JobRef`] is a type-erased pointer plus the function that runs it.
//! The stack job it points to ([`StackJob`]) must outlive the reference:
//! its owner never leaves the stack frame before the job's latch is set
//! (the job ran elsewhere) or it took the reference back unrun. Calls
//! `task` (for [`Runnable`]) and this folder's latches.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use super::latch::{CoreLatch, ThreadLatch};
use super::sleep::Sleep;
use crate::task::{CurrentTask, Runnable};

/// Work in the pool's shared queue.
pub(super) enum Work {
    /// A submitted job: a task cell whose future runs the closure.
    Task(Runnable),
    /// A job on the stack of a thread outside the pool that waits for it.
    Stack(JobRef),
}

/// A pointer to a job and the function that executes it. Two references
/// are equal when they point to the same job.
#[derive(Debug)]
pub(super) struct JobRef {
    pointer: *const (),
    execute_fn: unsafe fn(*const ()),
}

// SAFETY: a `JobRef` is only made from jobs whose closure and result are
// `Send` (see `StackJob::as_job_ref`), and the job is executed exactly once,
// by whichever thread takes the reference.
unsafe impl Send for JobRef {}

impl PartialEq for JobRef {
    fn eq(&self, other: &JobRef) -> bool {
        std::ptr::eq(self.pointer, other.pointer)
    }
}

impl Eq for JobRef {}

impl JobRef {
    /// Runs the job.
    ///
    /// # Safety
    ///
    /// The job must still be alive (its owner is waiting for it) and not yet
    /// executed; each reference is executed at most once.
    pub(super) unsafe fn execute(self) {
        // SAFETY: forwarded from the caller.
        unsafe { (self.execute_fn)(self.pointer) }
    }
}

/// What a stack job left behind.
enum JobResult<R> {
    NotRun,
    Done(R),
    Panicked(Box<dyn Any + Send>),
}

/// How a stack job tells its owner it finished.
pub(super) trait Latch {
    /// Marks the job done and wakes its owner if needed.
    ///
    /// # Safety
    ///
    /// `this` points to a live latch that may be freed the moment it is
    /// set; the implementation must not touch it afterwards.
    unsafe fn set(this: *const Self);
}

/// The latch of a `join` half owned by a pool thread: the owner keeps
/// running other work while it waits, and parks on the latch only when
/// there is none.
#[derive(Debug)]
pub(super) struct SpinLatch {
    pub(super) core: CoreLatch,
    owner: usize,
    /// The pool's sleepers. Valid whenever the latch is set: only threads
    /// of that pool run the job, and each holds the pool alive.
    sleep: *const Sleep,
}

impl SpinLatch {
    pub(super) fn new(owner: usize, sleep: &Sleep) -> SpinLatch {
        SpinLatch {
            core: CoreLatch::new(),
            owner,
            sleep,
        }
    }
}

impl Latch for SpinLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: the caller guarantees `this` is live until the `set`
        // below; copy out what the wake-up needs first.
        let (owner, sleep) = unsafe { ((*this).owner, (*this).sleep) };
        // SAFETY: as above; after this call `*this` is never read again.
        let owner_sleeps = unsafe { (*this).core.set() };
        if owner_sleeps {
            // SAFETY: the setter is a thread of the owner's pool (only they
            // take jobs from its queues) and holds that pool's shared state
            // alive, `Sleep` included.
            unsafe { (*sleep).unpark(owner) };
        }
    }
}

impl Latch for ThreadLatch {
    unsafe fn set(this: *const Self) {
        // SAFETY: forwarded from the caller.
        unsafe { ThreadLatch::set(this) }
    }
}

/// A job on its owner's stack: the closure, then its result, then the latch.
pub(super) struct StackJob<L, F, R> {
    pub(super) latch: L,
    /// The task the job is done for, so a thief running it answers
    /// `is_cancelled` for that task rather than for its own.
    owner_task: CurrentTask,
    func: UnsafeCell<Option<F>>,
    result: UnsafeCell<JobResult<R>>,
}

impl<L: Latch, F: FnOnce() -> R, R> StackJob<L, F, R> {
    pub(super) fn new(func: F, latch: L) -> Self {
        StackJob {
            latch,
            owner_task: CurrentTask::capture(),
            func: UnsafeCell::new(Some(func)),
            result: UnsafeCell::new(JobResult::NotRun),
        }
    }

    /// A reference other threads can execute.
    ///
    /// # Safety
    ///
    /// The job must stay where it is, alive, until its latch is set or the
    /// reference has been taken back unexecuted.
    pub(super) unsafe fn as_job_ref(&self) -> JobRef
    where
        F: Send,
        R: Send,
    {
        JobRef {
            pointer: (self as *const Self).cast(),
            execute_fn: Self::execute_erased,
        }
    }

    unsafe fn execute_erased(pointer: *const ()) {
        let this: *const Self = pointer.cast();
        // SAFETY: `pointer` was made from a live `StackJob<L, F, R>` by
        // `as_job_ref`, whose contract keeps it alive until its latch is
        // set, which is the last thing done here. Only this execution
        // touches `func` and `result` (a job reference runs once, and the
        // owner reads the result only after the latch is set).
        unsafe {
            let func = (*(*this).func.get()).take();
            let owner_task = (*this).owner_task;
            let result = match func {
                // The owner waits (inside its task's poll) until the latch
                // below is set, so its task is alive while this runs.
                Some(func) => match catch_unwind(AssertUnwindSafe(|| owner_task.enter(func))) {
                    Ok(value) => JobResult::Done(value),
                    Err(payload) => JobResult::Panicked(payload),
                },
                None => JobResult::NotRun,
            };
            *(*this).result.get() = result;
            L::set(&(*this).latch);
        }
    }

    /// Runs the closure on the owner's thread (the reference was taken back
    /// unexecuted), catching a panic.
    pub(super) fn run_inline(&self) -> Result<R, Box<dyn Any + Send>> {
        // SAFETY: the reference to this job was taken back by its owner, so
        // no other thread can reach `func`.
        let func = unsafe { (*self.func.get()).take() };
        match func {
            Some(func) => catch_unwind(AssertUnwindSafe(func)),
            None => Err(Box::new("a join half ran twice")),
        }
    }

    /// The result of a job executed elsewhere, after its latch was seen set
    /// (with `Acquire`).
    pub(super) fn take_result(&self) -> Result<R, Box<dyn Any + Send>> {
        // SAFETY: the latch is set, so the executing thread wrote the result
        // before releasing it and no longer touches the job.
        let result = unsafe { std::mem::replace(&mut *self.result.get(), JobResult::NotRun) };
        match result {
            JobResult::Done(value) => Ok(value),
            JobResult::Panicked(payload) => Err(payload),
            JobResult::NotRun => Err(Box::new("a join half was lost")),
        }
    }

    /// The result, or the panic resumed on this thread.
    pub(super) fn into_value(self) -> R {
        match self.take_result() {
            Ok(value) => value,
            Err(payload) => resume_unwind(payload),
        }
    }
}
