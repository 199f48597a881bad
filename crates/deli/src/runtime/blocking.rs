//! The elastic pool that runs blocking calls (`spawn_blocking`) off the
//! async workers.
//!
//! Threads are started on demand up to a bound and retire after sitting
//! idle for a keep-alive, so a quiet program holds none. Jobs beyond the
//! bound queue up. A job is an ordinary task cell whose future runs the
//! closure in one poll, so it gets the same [`Ticket`], states, panic
//! capture and cancel-before-start as any task.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread;
use std::time::Duration;

use crate::poison::IgnorePoison;
use crate::task::{spawn_closure, Header, Runnable, Scheduler, TaskOptions, Ticket};
use crate::trace::{self, JobKind, Lane};

/// Settings of a blocking pool.
#[derive(Debug, Clone)]
pub(crate) struct BlockingConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
}

impl Default for BlockingConfig {
    fn default() -> Self {
        BlockingConfig {
            max_threads: 512,
            keep_alive: Duration::from_secs(10),
            thread_name: "deli-blocking".to_owned(),
        }
    }
}

#[derive(Debug)]
struct PoolState {
    queue: VecDeque<Runnable>,
    threads: usize,
    idle: usize,
    /// Wake-ups handed to idle threads and not yet taken, so a burst of
    /// jobs does not count the same idle thread twice.
    pending_wakeups: usize,
    shutdown: bool,
    next_thread_id: usize,
}

#[derive(Debug)]
pub(crate) struct BlockingShared {
    /// Lets a thread that only has `&self` start another pool thread.
    this: Weak<BlockingShared>,
    state: Mutex<PoolState>,
    job_ready: Condvar,
    thread_exited: Condvar,
    config: BlockingConfig,
}

/// A handle to a blocking pool; clones share it.
#[derive(Debug, Clone)]
pub(crate) struct BlockingPool {
    shared: Arc<BlockingShared>,
}

impl BlockingPool {
    pub(crate) fn new(config: BlockingConfig) -> BlockingPool {
        BlockingPool {
            shared: Arc::new_cyclic(|this| BlockingShared {
                this: this.clone(),
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    pending_wakeups: 0,
                    shutdown: false,
                    next_thread_id: 0,
                }),
                job_ready: Condvar::new(),
                thread_exited: Condvar::new(),
                config,
            }),
        }
    }

    /// The pool used by `spawn_blocking` outside any runtime.
    pub(crate) fn global() -> &'static BlockingPool {
        static GLOBAL: OnceLock<BlockingPool> = OnceLock::new();
        GLOBAL.get_or_init(|| BlockingPool::new(BlockingConfig::default()))
    }

    pub(crate) fn spawn_with<F, T>(&self, job: F, options: TaskOptions) -> Ticket<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        spawn_closure(job, options, self.shared.clone())
    }

    /// Refuses new jobs, drops the queued ones (their tickets resolve to
    /// [`JobError::Shutdown`]) and lets running ones finish. Waits up to
    /// `wait` for the threads to exit; returns whether they all did.
    pub(crate) fn shutdown(&self, wait: Duration) -> bool {
        let queued = {
            let mut state = self.shared.lock();
            state.shutdown = true;
            std::mem::take(&mut state.queue)
        };
        self.shared.job_ready.notify_all();
        drop(queued);
        // A wait too long for `Instant` is a wait without a deadline.
        let deadline = std::time::Instant::now().checked_add(wait);
        let mut state = self.shared.lock();
        while state.threads > 0 {
            state = match deadline {
                None => self.shared.thread_exited.wait(state).ignore_poison(),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.shared
                        .thread_exited
                        .wait_timeout(state, left)
                        .ignore_poison()
                        .0
                }
            };
        }
        true
    }
}

impl BlockingShared {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().ignore_poison()
    }

    fn push(&self, job: Runnable) {
        let mut state = self.lock();
        if state.shutdown {
            drop(state);
            // Dropping the job closes its task: the ticket says Shutdown.
            drop(job);
            return;
        }
        state.queue.push_back(job);
        if state.idle > state.pending_wakeups {
            state.pending_wakeups += 1;
            drop(state);
            self.job_ready.notify_one();
        } else if state.threads < self.config.max_threads {
            state.threads += 1;
            let id = state.next_thread_id;
            state.next_thread_id += 1;
            drop(state);
            if let Err(error) = self.start_thread(id) {
                self.thread_failed_to_start(error);
            }
        }
        // Otherwise every thread is busy and the bound is reached: the job
        // waits in the queue for the next free thread.
    }

    fn start_thread(&self, id: usize) -> io::Result<()> {
        let Some(shared) = self.this.upgrade() else {
            return Err(io::Error::other("the blocking pool is gone"));
        };
        thread::Builder::new()
            .name(format!("{}-{id}", self.config.thread_name))
            .spawn(move || shared.run_thread())
            .map(drop)
    }

    /// The OS refused a thread. If no thread is left to run the queue, fail
    /// the queued jobs rather than leave their tickets hanging.
    fn thread_failed_to_start(&self, _error: io::Error) {
        let mut state = self.lock();
        state.threads -= 1;
        if state.threads == 0 {
            let queued = std::mem::take(&mut state.queue);
            drop(state);
            drop(queued);
        }
    }

    fn run_thread(&self) {
        let _lane = trace::enter_lane(trace::intern(Lane::BlockingThread {
            index: next_lane_index(),
        }));
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job.run();
                state = self.lock();
                continue;
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            let (next, wait) = self
                .job_ready
                .wait_timeout(state, self.config.keep_alive)
                .ignore_poison();
            state = next;
            state.idle -= 1;
            if state.pending_wakeups > 0 {
                state.pending_wakeups -= 1;
            } else if wait.timed_out() && state.queue.is_empty() {
                break;
            }
        }
        state.threads -= 1;
        drop(state);
        self.thread_exited.notify_all();
    }
}

/// Blocking threads come and go: each gets a trace lane of its own,
/// numbered process-wide so that two pools' threads never share one.
fn next_lane_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Scheduler for BlockingShared {
    fn job_kind(&self) -> JobKind {
        JobKind::Blocking
    }

    fn wake_for_cancel(&self, header: &Header) {
        // A queued job is taken out and dropped, so its ticket resolves to
        // Cancelled now rather than when a thread frees up. A running
        // closure cannot be interrupted: its ticket waits for it.
        let cancelled = {
            let mut state = self.lock();
            let position = state
                .queue
                .iter()
                .position(|job| std::ptr::eq(job.metadata(), header));
            position.and_then(|position| state.queue.remove(position))
        };
        drop(cancelled);
    }

    fn schedule_remote(&self, job: Runnable) {
        self.push(job);
    }
}
