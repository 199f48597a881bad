//! The global injection queue: spawns and wakes from outside the workers,
//! and the overflow of full local queues.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::poison::IgnorePoison;
use crate::task::{OwnedTasks, Runnable};

/// A FIFO shared by every worker. A lock is fine here: it is off the hot
/// path (workers use their local queues) and taken in batches.
#[derive(Debug)]
pub(crate) struct Inject<T> {
    queue: Mutex<Queue<T>>,
    /// Mirrors the queue length so idle checks need no lock.
    len: AtomicUsize,
}

#[derive(Debug)]
struct Queue<T> {
    tasks: VecDeque<T>,
    /// Set by shutdown's final drain; checked under the same lock by every
    /// push, so nothing can land in the queue after that drain.
    closed: bool,
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Mutex::new(Queue {
                tasks: VecDeque::new(),
                closed: false,
            }),
            len: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue.lock().ignore_poison()
    }

    /// Queues `task`, or hands it back once the queue is closed (the caller
    /// drops it, outside the lock: dropping a task runs user code).
    pub(crate) fn push(&self, task: T) -> Result<(), T> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(task);
        }
        queue.tasks.push_back(task);
        self.len.store(queue.tasks.len(), Ordering::Release);
        Ok(())
    }

    /// Closes the queue and takes everything in it.
    pub(crate) fn close_and_take(&self) -> VecDeque<T> {
        let mut queue = self.lock();
        queue.closed = true;
        self.len.store(0, Ordering::Release);
        std::mem::take(&mut queue.tasks)
    }

    pub(crate) fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.lock();
        let task = queue.tasks.pop_front();
        self.len.store(queue.tasks.len(), Ordering::Release);
        task
    }

    /// Pops up to `max` tasks at once (one lock for the batch).
    pub(crate) fn pop_batch(&self, max: usize) -> Vec<T> {
        if self.is_empty() || max == 0 {
            return Vec::new();
        }
        let mut queue = self.lock();
        let take = max.min(queue.tasks.len());
        let batch: Vec<T> = queue.tasks.drain(..take).collect();
        self.len.store(queue.tasks.len(), Ordering::Release);
        batch
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues a batch, oldest first: the overflow of a full local queue.
    pub(crate) fn push_batch(&self, tasks: &mut dyn Iterator<Item = T>) {
        let mut queue = self.lock();
        // Overflow comes from a running worker, which shutdown has not
        // joined yet; the queue cannot be closed. Should it be anyway, the
        // tasks are left to the caller, which drops what it still holds.
        if queue.closed {
            return;
        }
        queue.tasks.extend(tasks);
        self.len.store(queue.tasks.len(), Ordering::Release);
    }
}

/// Shutdown's last step for a scheduler whose workers have stopped: wake
/// every task still registered (a parked task is in no queue), so each
/// lands in `inject`, and drop what lands there; dropping a future can
/// wake others, so repeat until a round finds nothing. Then close `inject`
/// and drop whatever raced in, so later wakes and starts drop their task
/// rather than queue it where nobody looks.
pub(crate) fn drain_until_quiet(owned: &OwnedTasks, inject: &Inject<Runnable>) {
    loop {
        let wakers = owned.take_all();
        let woke = !wakers.is_empty();
        for waker in wakers {
            waker.wake();
        }
        let mut dropped = false;
        while let Some(task) = inject.pop() {
            drop(task);
            dropped = true;
        }
        if !woke && !dropped {
            break;
        }
    }
    for task in inject.close_and_take() {
        drop(task);
    }
}
