//! The state the pool handle, its driver threads and its tickets share:
//! the queue of submitted jobs, what each worker is running (so a cancel
//! can find the child to kill), the registry of live job tasks, and the
//! settings. Also the `Scheduler` that job tasks belong to.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::slot::ResultSlot;
use super::spawn::{self, ChildSpec};
use crate::poison::IgnorePoison;
use crate::task::{Header, JobError, OwnedTasks, Runnable, Scheduler, TaskId};
use crate::trace::JobKind;

/// A submitted job on its way to a child.
#[derive(Debug)]
pub(crate) struct QueuedJob {
    pub(crate) id: TaskId,
    /// The request frame's payload (job name and encoded arguments).
    pub(crate) request: Vec<u8>,
    pub(crate) slot: Arc<ResultSlot>,
    /// This job's own time limit, over the pool's.
    pub(crate) timeout: Option<Duration>,
}

/// What [`ProcessPoolBuilder::on_job_start`](super::ProcessPoolBuilder::on_job_start)
/// was given: called on a driver's thread with the id of each job that
/// becomes the one its child runs.
#[derive(Clone)]
pub(crate) struct StartHook(pub(crate) Arc<dyn Fn(TaskId) + Send + Sync>);

impl std::fmt::Debug for StartHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StartHook")
    }
}

/// The pool's settings, fixed at build time.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) child: ChildSpec,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_jobs_per_child: Option<u64>,
    /// The initializer's request, run first in every child.
    pub(crate) initializer: Option<Vec<u8>>,
    /// Told when each job starts running in a child.
    pub(crate) on_start: Option<StartHook>,
}

#[derive(Debug, Default)]
struct Queue {
    jobs: VecDeque<QueuedJob>,
    /// No more submissions: drivers finish the queue, then stop.
    draining: bool,
    /// Drivers waiting for a job.
    idle: usize,
}

/// What one driver's child is doing, for cancel and shutdown.
#[derive(Debug, Default)]
pub(crate) struct WorkerStatus {
    /// The child's pid while it is alive and not yet reaped.
    pub(crate) pid: Option<u32>,
    /// The job the child is running (the oldest one sent to it).
    pub(crate) running: Option<TaskId>,
    /// The job whose cancel killed this child. The kill may land after
    /// that job's reply, while the next one runs: the driver then knows
    /// the next one was not at fault and runs it again elsewhere.
    pub(crate) cancel_kill: Option<TaskId>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    queue: Mutex<Queue>,
    job_ready: Condvar,
    workers: Box<[Mutex<WorkerStatus>]>,
    pub(crate) registry: OwnedTasks,
    /// Dropped: every child is killed and every open ticket says Shutdown.
    closed: AtomicBool,
    pub(crate) config: Config,
}

impl Shared {
    pub(crate) fn new(workers: usize, config: Config) -> Shared {
        Shared {
            queue: Mutex::new(Queue::default()),
            job_ready: Condvar::new(),
            workers: (0..workers).map(|_| Mutex::default()).collect(),
            registry: OwnedTasks::new(workers),
            closed: AtomicBool::new(false),
            config,
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().ignore_poison()
    }

    pub(crate) fn status(&self, worker: usize) -> MutexGuard<'_, WorkerStatus> {
        self.workers[worker].lock().ignore_poison()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Queues a job for the next free driver.
    pub(crate) fn push(&self, job: QueuedJob) {
        let mut queue = self.queue();
        if queue.draining {
            drop(queue);
            job.slot.complete(Err(JobError::Shutdown));
            return;
        }
        queue.jobs.push_back(job);
        let wake = queue.idle > 0;
        drop(queue);
        if wake {
            self.job_ready.notify_one();
        }
    }

    /// Puts jobs a dead child had been sent but not started back at the
    /// front, in their order.
    pub(crate) fn requeue_front(&self, jobs: impl DoubleEndedIterator<Item = QueuedJob>) {
        let mut queue = self.queue();
        for job in jobs.rev() {
            queue.jobs.push_front(job);
        }
        drop(queue);
        self.job_ready.notify_all();
    }

    /// The next job; with `wait`, blocks until there is one. `None` when
    /// the pool is stopping and (for `wait`) the queue is empty.
    pub(crate) fn take_job(&self, wait: bool) -> Option<QueuedJob> {
        let mut queue = self.queue();
        loop {
            if self.is_closed() {
                return None;
            }
            if let Some(job) = queue.jobs.pop_front() {
                return Some(job);
            }
            if !wait || queue.draining {
                return None;
            }
            queue.idle += 1;
            queue = self.job_ready.wait(queue).ignore_poison();
            queue.idle -= 1;
        }
    }

    /// Fails every job not yet sent to a child with `Cancelled`; returns
    /// how many there were. Running jobs go on.
    pub(crate) fn cancel_queued(&self) -> usize {
        let queued = std::mem::take(&mut self.queue().jobs);
        let count = queued.len();
        for job in queued {
            job.slot.complete(Err(JobError::Cancelled));
        }
        count
    }

    /// Graceful stop: drivers finish what is queued, then end.
    pub(crate) fn drain(&self) {
        self.queue().draining = true;
        self.registry.close();
        self.job_ready.notify_all();
    }

    /// Immediate stop: queued jobs fail with `Shutdown`, children are killed.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let queued = {
            let mut queue = self.queue();
            queue.draining = true;
            std::mem::take(&mut queue.jobs)
        };
        self.registry.close();
        self.job_ready.notify_all();
        for job in queued {
            job.slot.complete(Err(JobError::Shutdown));
        }
        for worker in 0..self.workers.len() {
            let status = self.status(worker);
            if let Some(pid) = status.pid {
                spawn::kill(pid);
            }
        }
    }
}

impl Scheduler for Shared {
    fn registry(&self) -> Option<&OwnedTasks> {
        Some(&self.registry)
    }

    fn job_kind(&self) -> JobKind {
        JobKind::Process
    }

    fn wake_for_cancel(&self, header: &Header) {
        // The task sees the request and resolves to Cancelled at once; its
        // dropped future marks the job abandoned, so a driver that has not
        // sent it yet skips it.
        self.registry.wake(header);
        // A job already running is stopped the only way a process can be:
        // its child is killed (and replaced by its driver).
        for worker in 0..self.workers.len() {
            let mut status = self.status(worker);
            if status.running == Some(header.id) {
                if let Some(pid) = status.pid {
                    status.cancel_kill = Some(header.id);
                    spawn::kill(pid);
                }
            }
        }
    }

    fn schedule_remote(&self, task: Runnable) {
        // A job task only ever wakes to take its finished result (or to see
        // a cancel): running it right here is cheaper than any hand-off.
        task.run();
    }
}
