//! The registry of a scheduler's live tasks.
//!
//! A task that is parked (Waiting) sits in no queue, yet shutdown must drop
//! its future and `cancel()` must reach it. The registry keeps one entry
//! per live task, in shards so that spawns and completions on different
//! workers rarely meet on a lock, and its waker (from the spawn, or from
//! its first wait: below). Waking a task is how both reach it: the
//! scheduler then either polls it (cancel: the harness sees the request)
//! or, once closed, drops it. Before its first wait a task is queued or
//! running, so it will be polled (and see a cancel) or dropped with its
//! queue anyway.
//!
//! With one thread driving the tasks (the current-thread runtime, a
//! `LocalSet`) the waker comes at the first wait ([`OwnedTasks::keep_waker`],
//! from the harness) rather than at the spawn, because most tasks never
//! wait: a waker taken at the spawn cost such a task three locked
//! instructions (its clone, its drop, and the ticket's detach missing its
//! fast path on the extra reference), which made a deli task dearer than a
//! tokio one (`scheduler/chained_spawn-ct`, `ping_pong-ct`). With several
//! threads it still comes at the spawn: there the first wait usually runs
//! on another core than the spawn, and writing the entry (and taking its
//! shard's lock) a second time from there cost more than it saved
//! (`timers/sleep_100k-mt`, 0.91 -> 1.01 of tokio).

use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::task::Waker;

use crossbeam_utils::CachePadded;
use slab::Slab;

use super::header::{Header, TaskId};
use super::info::TaskInfo;
use crate::poison::IgnorePoison;

/// One live task: its id so that a slot reused by a later task is never
/// mistaken for it, its header (for [`OwnedTasks::describe`] and the
/// listing) and its waker, once the registry has it.
#[derive(Debug)]
struct Entry {
    id: TaskId,
    waker: Option<Waker>,
    header: HeaderPtr,
}

/// The header of a registered task. It stays allocated while the entry
/// exists: the entry goes (`remove`, from the harness's drop) when the
/// task's future is dropped, and the task cell frees itself only after
/// dropping its future — before the task first waits its `Runnable` holds
/// the cell, after that (or from the spawn) the entry's waker does. (Without that waker, a
/// task that waits on nothing, its ticket dropped, would have its cell
/// freed with the future never dropped: `async_task` leaks such a future.)
#[derive(Debug)]
struct HeaderPtr(NonNull<Header>);

// SAFETY: `Header` is `Sync`; the pointer is only read under the shard lock
// while the entry exists, which keeps the cell allocated (see above).
unsafe impl Send for HeaderPtr {}

/// One shard of the registry.
#[derive(Debug)]
struct Shard(Mutex<Slab<Entry>>);

impl Shard {
    /// Runs `f` on the shard's entries, under its lock.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Slab<Entry>) -> R) -> R {
        f(&mut self.0.lock().ignore_poison())
    }
}

/// Who a task is, copied out of its header: what the runtime's blocking
/// reports name.
#[derive(Debug, Clone)]
pub(crate) struct TaskIdentity {
    pub(crate) id: TaskId,
    pub(crate) name: Option<Box<str>>,
    pub(crate) spawned_at: &'static Location<'static>,
}

/// The live tasks of one scheduler.
#[derive(Debug)]
pub(crate) struct OwnedTasks {
    shards: Box<[Shard]>,
    /// On a cache line of its own: every poll that ends `Pending` reads
    /// it (see `Scheduler::is_shut_down`), and beside the runtime's busy
    /// counters it missed the cache each time (`deli-bench -- scheduler`,
    /// yield_many-mt).
    closed: CachePadded<AtomicBool>,
    /// Whether tasks hand over their waker at their first wait (one
    /// driving thread) instead of at their spawn (see the module doc).
    lazy_wakers: bool,
}

impl OwnedTasks {
    /// A registry with about `concurrency * 4` shards (a power of two);
    /// with a `concurrency` of 1, tasks hand over their waker at their
    /// first wait rather than at their spawn (see the module doc).
    pub(crate) fn new(concurrency: usize) -> OwnedTasks {
        let count = (concurrency.max(1) * 4).next_power_of_two();
        OwnedTasks {
            shards: (0..count).map(|_| Shard(Mutex::new(Slab::new()))).collect(),
            closed: CachePadded::new(AtomicBool::new(false)),
            lazy_wakers: concurrency <= 1,
        }
    }

    fn shard(&self, id: TaskId) -> &Shard {
        let index = id.as_u64() as usize & (self.shards.len() - 1);
        &self.shards[index]
    }

    /// Registers a task while it is created: `make` gets the registry key
    /// to store in the header, and whether the registry wants the task's
    /// waker now (else it comes at the first wait: `keep_waker`); it
    /// returns the new task's header, that waker, and whatever the caller
    /// needs. Returns `None`, without calling `make`, once the registry is
    /// closed.
    pub(crate) fn bind<R>(
        &self,
        id: TaskId,
        make: impl FnOnce(usize, bool) -> (NonNull<Header>, Option<Waker>, R),
    ) -> Option<R> {
        self.shard(id).with(|shard| {
            // Checked under the shard lock: `close` takes every shard lock
            // after setting the flag, so no task can slip in after it
            // drained a shard.
            if self.closed.load(Ordering::Acquire) {
                return None;
            }
            let entry = shard.vacant_entry();
            let (header, waker, made) = make(entry.key(), !self.lazy_wakers);
            entry.insert(Entry {
                id,
                waker,
                header: HeaderPtr(header),
            });
            Some(made)
        })
    }

    /// The task is about to wait for the first time: keeps a clone of its
    /// `waker`, so that cancel and shutdown can reach it and its cell stays
    /// alive while it waits. Returns false when the task is no longer
    /// registered, which only shutdown's `take_all` does to a live task:
    /// the caller then treats the scheduler as shut down.
    pub(crate) fn keep_waker(&self, header: &Header, waker: &Waker) -> bool {
        self.shard(header.id)
            .with(|shard| match shard.get_mut(header.owner_key) {
                Some(entry) if entry.id == header.id => {
                    if entry.waker.is_none() {
                        entry.waker = Some(waker.clone());
                    }
                    true
                }
                _ => false,
            })
    }

    /// Forgets a task whose future is gone.
    pub(crate) fn remove(&self, header: &Header) {
        let removed = self
            .shard(header.id)
            .with(|shard| match shard.get(header.owner_key) {
                Some(entry) if entry.id == header.id => shard.try_remove(header.owner_key),
                _ => None,
            });
        drop(removed); // outside the lock: it may free the task cell
    }

    /// Wakes one task (to make it see a cancel request).
    pub(crate) fn wake(&self, header: &Header) {
        let waker = self
            .shard(header.id)
            .with(|shard| match shard.get(header.owner_key) {
                Some(entry) if entry.id == header.id => entry.waker.clone(),
                _ => None,
            });
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Who the live task is whose id, masked by `id_mask`, is `masked_id`
    /// (the monitor knows a blocked task only by such a truncated id).
    /// Slow: scans one shard, under its lock.
    pub(crate) fn describe(&self, masked_id: u64, id_mask: u64) -> Option<TaskIdentity> {
        let index = masked_id as usize & (self.shards.len() - 1);
        self.shards[index].with(|shard| {
            let (_, entry) = shard
                .iter()
                .find(|(_, entry)| entry.id.as_u64() & id_mask == masked_id)?;
            // SAFETY: the task cell, and so its header, stays allocated
            // while the entry exists (`HeaderPtr`), and we hold the lock.
            let header = unsafe { entry.header.0.as_ref() };
            Some(TaskIdentity {
                id: header.id,
                name: header.name.clone(),
                spawned_at: header.spawned_at,
            })
        })
    }

    /// Every live task, as a listing shows it, ordered by id. Takes each
    /// shard's lock in turn (briefly: a copy per task).
    pub(crate) fn list(&self) -> Vec<TaskInfo> {
        let now = super::clock::refresh();
        let mut all = Vec::new();
        let mut copied = Vec::new();
        for shard in self.shards.iter() {
            // Only copies under the lock; the formatting comes after.
            shard.with(|shard| {
                copied.extend(shard.iter().map(|(_, entry)| {
                    // SAFETY: the task cell, and so its header, stays
                    // allocated while the entry exists (`HeaderPtr`); we
                    // hold the lock.
                    let header = unsafe { entry.header.0.as_ref() };
                    (
                        header.id,
                        header.name.clone(),
                        header.spawned_at,
                        header.state(),
                        header.since.load(Ordering::Relaxed),
                    )
                }));
            });
        }
        for (id, name, spawned_at, state, since) in copied {
            all.push(TaskInfo::new(
                id,
                name.as_deref(),
                spawned_at.to_string(),
                state,
                super::clock::elapsed(since, now),
            ));
        }
        all.sort_by_key(|task| task.id);
        all
    }

    /// Refuses new tasks from now on.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for shard in self.shards.iter() {
            shard.with(|_| ());
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// How many tasks are registered (a moment's count: shards are read
    /// one after another).
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.with(|shard| shard.len()))
            .sum()
    }

    /// Takes every registered task's waker out (the registry is empty
    /// after). Shutdown wakes them so the scheduler can drop each task; a
    /// task that has not waited yet has none, and is dropped with the
    /// queue it is in (or by its own poll, which sees the shutdown).
    pub(crate) fn take_all(&self) -> Vec<Waker> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let taken = shard.with(std::mem::take);
            all.extend(taken.into_iter().filter_map(|(_, entry)| entry.waker));
        }
        all
    }
}
