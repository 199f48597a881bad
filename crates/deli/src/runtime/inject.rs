//! The global injection queue: spawns and wakes from outside the workers,
//! and the overflow of full local queues.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::queue::Overflow;

/// A FIFO shared by every worker. A lock is fine here: it is off the hot
/// path (workers use their local queues) and taken in batches.
#[derive(Debug)]
pub(crate) struct Inject<T> {
    queue: Mutex<VecDeque<T>>,
    /// Mirrors the queue length so idle checks need no lock.
    len: AtomicUsize,
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn push(&self, task: T) {
        let mut queue = self.lock();
        queue.push_back(task);
        self.len.store(queue.len(), Ordering::Release);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.lock();
        let task = queue.pop_front();
        self.len.store(queue.len(), Ordering::Release);
        task
    }

    /// Pops up to `max` tasks at once (one lock for the batch).
    pub(crate) fn pop_batch(&self, max: usize) -> Vec<T> {
        if self.is_empty() || max == 0 {
            return Vec::new();
        }
        let mut queue = self.lock();
        let take = max.min(queue.len());
        let batch: Vec<T> = queue.drain(..take).collect();
        self.len.store(queue.len(), Ordering::Release);
        batch
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Overflow<T> for Inject<T> {
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = T>) {
        let mut queue = self.lock();
        queue.extend(tasks);
        self.len.store(queue.len(), Ordering::Release);
    }
}
