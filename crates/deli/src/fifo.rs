//! A FIFO many threads share, which can be closed: once closed it takes
//! nothing more and hands each push back. The runtime's injection queue
//! (spawns and wakes from outside its workers, and the overflow of full
//! local queues) and the thread pool's queue of submitted jobs. A leaf
//! (std and `crate::poison`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::poison::IgnorePoison;

/// A FIFO shared by every worker. A lock is fine here: it is off the hot
/// path (workers use their local queues) and taken in batches.
#[derive(Debug)]
pub(crate) struct Fifo<T> {
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

impl<T> Fifo<T> {
    pub(crate) fn new() -> Fifo<T> {
        Fifo {
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
        // A closed queue takes nothing: what is left in `items` stays with
        // the caller, which drops it.
        if queue.closed {
            return;
        }
        queue.tasks.extend(tasks);
        self.len.store(queue.tasks.len(), Ordering::Release);
    }

    /// Takes out the first queued item for which `matches` holds.
    pub(crate) fn remove_first(&self, mut matches: impl FnMut(&T) -> bool) -> Option<T> {
        let mut queue = self.lock();
        let position = queue.tasks.iter().position(&mut matches)?;
        let removed = queue.tasks.remove(position);
        self.len.store(queue.tasks.len(), Ordering::Release);
        removed
    }

    /// Closes the queue, taking out (and returning) the items `keep` says
    /// no to; the others stay queued.
    pub(crate) fn close_keeping(&self, mut keep: impl FnMut(&T) -> bool) -> Vec<T> {
        let mut queue = self.lock();
        queue.closed = true;
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(queue.tasks.len());
        for item in queue.tasks.drain(..) {
            if keep(&item) {
                kept.push_back(item);
            } else {
                taken.push(item);
            }
        }
        queue.tasks = kept;
        self.len.store(queue.tasks.len(), Ordering::Release);
        taken
    }

    /// Closed, with nothing left in it (under the lock, so an item pushed
    /// before the close is always seen).
    pub(crate) fn is_closed_and_empty(&self) -> bool {
        let queue = self.lock();
        queue.closed && queue.tasks.is_empty()
    }
}
