//! The multi-thread scheduler's bounded local run queue.
//!
//! Each worker owns one fixed-capacity ring of tasks. The worker itself (the
//! [`Local`] handle) pushes to the back and pops from the front; any other
//! thread holding a [`Steal`] handle can move about half of the queued tasks
//! into its own `Local` in one go. A full queue spills half of its tasks, in
//! one batch, into an [`Overflow`] sink (the scheduler's global injector).
//! Because a `Steal` handle never needs the owner's cooperation, nothing queued
//! here becomes unreachable while its worker is stuck in a long poll.
//!
//! This module owns only the ring. It calls nothing in deli except
//! `crate::loom` (atomics, `UnsafeCell`, `Arc`), so that `--cfg loom` checks it.
//!
//! # Layout
//!
//! - `slots`: `LOCAL_QUEUE_CAPACITY` cells, each holding a task or nothing.
//! - `tail: AtomicU32`: one past the newest task. Only the owner writes it.
//! - `head: AtomicU64`: two `u32` indices packed together, `steal` in the high
//!   half and `real` in the low half.
//!
//! Indices are `u32` counters that only grow (wrapping); a task with index `i`
//! lives in slot `i % LOCAL_QUEUE_CAPACITY`, which stays consistent across the
//! wrap because the capacity is a power of two that divides 2^32. All index
//! comparisons are distances computed with `wrapping_sub`.
//!
//! # Regions and invariants
//!
//! Reading the ring from old to new, `steal ≤ real ≤ tail` (as distances) and
//! `tail - steal ≤ LOCAL_QUEUE_CAPACITY`:
//!
//! - `[steal, real)`: tasks claimed by one stealer that is copying them out. Only
//!   that stealer touches these slots, and only to read them.
//! - `[real, tail)`: queued tasks, available to the owner's `pop` and to stealers.
//! - everything else: free slots, which only the owner writes.
//!
//! `steal == real` means no steal is in flight. At most one steal is in flight
//! per queue: a stealer that sees `steal != real` gives up on this victim
//! instead of waiting, so no thread ever waits for another.
//!
//! The transitions, each a single atomic step on `head` or `tail`:
//!
//! - push (owner): write slot `tail`, then store `tail + 1`. Allowed only while
//!   `tail - steal < capacity`, so it never overwrites a slot a stealer reads.
//! - pop (owner): CAS `real` to `real + 1`, moving `steal` along too when no steal
//!   is in flight, then read the slot it took.
//! - overflow (owner, queue full, no steal in flight): CAS both indices forward by
//!   half the capacity, then hand those tasks and the new one to the sink. When a
//!   steal is in flight the queue cannot give up half, so only the new task goes
//!   to the sink; the stealer frees its slots soon without the owner waiting.
//! - steal, claim (any thread): CAS `real` forward by half of `tail - real`
//!   (rounded up), leaving `steal` behind, so the range becomes the claimant's.
//! - steal, release: after copying, CAS `steal` up to the current `real` (the
//!   owner may have popped meanwhile), returning the slots to the owner.
//!
//! A compare-and-swap on `head` compares both indices, so a claim or a pop
//! based on a stale view fails and retries. This could be fooled (ABA) only if
//! 2^32 tasks passed through the queue between one thread's load and its CAS.
//!
//! # Memory orderings
//!
//! Slots are plain memory; every access to one must be ordered by
//! happens-before with the previous access from another thread. Two edges do
//! that, and a third keeps the stealers' arithmetic sane:
//!
//! 1. Owner writes a slot, a stealer reads it. The owner stores `tail` with
//!    `Release` after writing; stealers load `tail` with `Acquire` before
//!    claiming, and only claim indices below the `tail` they loaded.
//! 2. A stealer reads a slot, the owner later overwrites it. The stealer's
//!    release is a `Release` RMW on `head` made after its reads; the owner loads
//!    `head` with `Acquire` before every write (in `push_back`, and in
//!    `steal_into` for the destination queue) and writes only slots behind the
//!    `steal` index it loaded. If the owner's own pops changed `head` after the
//!    release, they are RMWs and so continue the release sequence; the
//!    `Acquire` load still synchronizes with the stealer.
//! 3. A stealer must never see a `tail` older than the `real` it just loaded
//!    (or `tail - real` would underflow). Every RMW that advances `real` is
//!    `Release` and was made by a thread that had already seen a `tail` at least
//!    that far, and stealers load `head` with `Acquire` before loading `tail`,
//!    so by coherence their `tail` is at least that new. A stealer still treats
//!    an impossible distance as "nothing to steal" rather than trusting it.
//!
//! Hence: `tail` is stored `Release` and loaded `Acquire` by non-owners (the
//! owner keeps its own copy, being its only writer); `head` is loaded
//! `Acquire`, changed by `AcqRel` RMWs, and a failed CAS loads `Acquire` when
//! its value feeds the retry, `Relaxed` when it is thrown away. The `Acquire`
//! half of a successful RMW is not needed by the edges above; it is kept so
//! every `head` value a thread acts on was acquired, which keeps the argument
//! local, and it is free on x86, where every RMW is a full barrier.
//!
//! # Checking
//!
//! Under `--cfg loom` the capacity shrinks to 4 and the `loom_tests` models
//! explore owner/stealer races, overflow and drop; each model checks that every
//! task is dropped exactly once, wherever it ended up.

use std::cell::Cell;
use std::fmt;
use std::iter;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use crate::loom::sync::Arc;

/// Number of task slots in one worker's local queue (a power of two).
///
/// Model checking uses a tiny ring so that filling it and overflowing stays
/// within a state space loom can explore.
pub(crate) const LOCAL_QUEUE_CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };

const _: () = assert!(
    LOCAL_QUEUE_CAPACITY.is_power_of_two()
        && LOCAL_QUEUE_CAPACITY >= 2
        && LOCAL_QUEUE_CAPACITY <= 1 << 31,
    "the capacity must be a power of two that divides 2^32 and fits an index distance"
);

const CAPACITY: u32 = LOCAL_QUEUE_CAPACITY as u32;
const SLOT_MASK: usize = LOCAL_QUEUE_CAPACITY - 1;
const HALF: u32 = CAPACITY / 2;

/// Where a full local queue sends the tasks it cannot keep.
pub(crate) trait Overflow<T> {
    /// Takes a batch of tasks, oldest first.
    ///
    /// Implementations should consume the whole iterator; tasks left in it
    /// are dropped when it is dropped (never leaked, but lost as work).
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = T>);
}

/// Creates an empty queue: the owner's handle and a handle for stealers.
pub(crate) fn local<T: Send>() -> (Local<T>, Steal<T>) {
    local_starting_at(0)
}

/// Like [`local`], with both indices starting at `start` (tests use it to
/// cross the `u32` wrap quickly).
fn local_starting_at<T: Send>(start: u32) -> (Local<T>, Steal<T>) {
    let inner = Arc::new(Inner {
        head: AtomicU64::new(pack(start, start)),
        tail: AtomicU32::new(start),
        slots: Box::new(std::array::from_fn(|_| {
            UnsafeCell::new(MaybeUninit::uninit())
        })),
    });
    let stealer = Steal {
        inner: Arc::clone(&inner),
    };
    let owner = Local {
        inner,
        tail: start,
        _not_sync: PhantomData,
    };
    (owner, stealer)
}

/// The owning worker's handle: pushes to the back, pops from the front.
pub(crate) struct Local<T> {
    inner: Arc<Inner<T>>,
    /// The owner's copy of `inner.tail`; this handle is its only writer.
    tail: u32,
    /// `&Local` must stay on the owning thread, so `Local` is `Send` but not
    /// `Sync`.
    _not_sync: PhantomData<Cell<()>>,
}

/// A handle other workers (and the monitor) use to take tasks from a queue.
pub(crate) struct Steal<T> {
    inner: Arc<Inner<T>>,
}

/// Aligned (and so sized) to two cache lines: each worker writes its own
/// queue's indices constantly, and two queues sharing a line would make
/// every push on one worker a cache miss on the other.
#[repr(align(128))]
struct Inner<T> {
    /// `steal` (high 32 bits) and `real` (low 32 bits); see the module docs.
    head: AtomicU64,
    /// One past the newest task; written only by the owner.
    tail: AtomicU32,
    slots: Box<[UnsafeCell<MaybeUninit<T>>; LOCAL_QUEUE_CAPACITY]>,
}

// SAFETY: `Inner` hands each task to exactly one thread at a time (the module
// docs give the protocol), so sharing it across threads only ever moves `T`s
// between threads, which `T: Send` allows.
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as above; concurrent access to a slot is excluded by the claim
// protocol on `head` and `tail`, never left to the caller.
unsafe impl<T: Send> Sync for Inner<T> {}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

/// Returns `(steal, real)`.
fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

impl<T> Inner<T> {
    fn slot(&self, index: u32) -> &UnsafeCell<MaybeUninit<T>> {
        &self.slots[index as usize & SLOT_MASK]
    }

    /// Moves the task out of slot `index`.
    ///
    /// # Safety
    ///
    /// The caller must own the slot (it is in a range the caller claimed on
    /// `head`, or it is the owner's and no stealer can claim it), the slot
    /// must hold a task, and the caller must treat it as empty afterwards.
    unsafe fn take(&self, index: u32) -> T {
        self.slot(index).with(|slot| {
            // SAFETY: the caller owns this initialized slot and will not read it
            // again, so moving the task out does not duplicate it.
            unsafe { slot.read().assume_init() }
        })
    }

    /// Writes `task` into slot `index`.
    ///
    /// # Safety
    ///
    /// Only the owner may call this, for a free slot (outside
    /// `[steal, tail)` for a `steal` it loaded with `Acquire`).
    unsafe fn put(&self, index: u32, task: T) {
        self.slot(index).with_mut(|slot| {
            // SAFETY: the slot is free, so no other thread reads it and no task
            // is overwritten (leaked).
            unsafe { slot.write(MaybeUninit::new(task)) };
        });
    }

    /// Queued tasks as a stealer sees them: not counting a claim in flight.
    fn len_seen_by_stealer(&self) -> u32 {
        let (_, real) = unpack(self.head.load(Ordering::Acquire));
        let tail = self.tail.load(Ordering::Acquire);
        tail.wrapping_sub(real).min(CAPACITY)
    }
}

impl<T> Local<T> {
    /// Pushes `task` to the back of the queue.
    ///
    /// When the queue is full, the older half of its tasks and then `task` go
    /// to `overflow` in one batch. If a steal is in flight at that moment only
    /// `task` goes, since the stealer is about to free room.
    pub(crate) fn push_back(&mut self, mut task: T, overflow: &dyn Overflow<T>) {
        loop {
            let (steal, real) = unpack(self.inner.head.load(Ordering::Acquire));
            if self.tail.wrapping_sub(steal) < CAPACITY {
                // SAFETY: we are the owner and `tail` is outside `[steal, tail)`
                // for the `steal` just loaded with `Acquire`.
                unsafe { self.inner.put(self.tail, task) };
                self.publish_tail(self.tail.wrapping_add(1));
                return;
            }
            if steal != real {
                overflow.push_batch(&mut iter::once(task));
                return;
            }
            match self.move_half_to_overflow(real, task, overflow) {
                Ok(()) => return,
                // A stealer claimed tasks since our load: either there is room
                // now or its steal is in flight; the next round handles both.
                Err(returned) => task = returned,
            }
        }
    }

    /// Removes and returns the task at the front of the queue.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let mut head = self.inner.head.load(Ordering::Acquire);
        loop {
            let (steal, real) = unpack(head);
            if real == self.tail {
                return None;
            }
            let next_real = real.wrapping_add(1);
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                pack(steal, next_real)
            };
            match self
                .inner
                .head
                .compare_exchange(head, next, Ordering::AcqRel, Ordering::Acquire)
            {
                // SAFETY: the CAS moved `real` past this index, so no stealer can
                // claim it, and slots in `[real, tail)` hold tasks.
                Ok(_) => return Some(unsafe { self.inner.take(real) }),
                Err(actual) => head = actual,
            }
        }
    }

    /// Number of queued tasks (not counting ones a stealer is taking).
    pub(crate) fn len(&self) -> usize {
        let (_, real) = unpack(self.inner.head.load(Ordering::Acquire));
        self.tail.wrapping_sub(real) as usize
    }

    /// Whether no task is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the next [`push_back`](Self::push_back) will stay local
    /// instead of spilling to the overflow sink.
    // The scheduler does not ask yet; only the unit tests do.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn has_room(&self) -> bool {
        self.free_slots() > 0
    }

    fn free_slots(&self) -> u32 {
        let (steal, _) = unpack(self.inner.head.load(Ordering::Acquire));
        CAPACITY.saturating_sub(self.tail.wrapping_sub(steal))
    }

    fn publish_tail(&mut self, tail: u32) {
        self.tail = tail;
        self.inner.tail.store(tail, Ordering::Release);
    }

    /// Moves the oldest half of a full queue, plus `task`, to `overflow`.
    ///
    /// `real` must be both indices of a `head` loaded by the caller with the
    /// queue full. Gives `task` back if the queue changed since.
    fn move_half_to_overflow(
        &mut self,
        real: u32,
        task: T,
        overflow: &dyn Overflow<T>,
    ) -> Result<(), T> {
        let end = real.wrapping_add(HALF);
        let claimed = self.inner.head.compare_exchange(
            pack(real, real),
            pack(end, end),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
        if claimed.is_err() {
            return Err(task);
        }
        let mut batch = OverflowBatch {
            inner: &self.inner,
            next: real,
            end,
            last: Some(task),
        };
        overflow.push_batch(&mut batch);
        Ok(())
    }
}

impl<T> Drop for Local<T> {
    fn drop(&mut self) {
        // Pop rather than read the slots directly: stealers may still be
        // claiming tasks, and each task must end up with exactly one of us.
        while self.pop().is_some() {}
    }
}

impl<T> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (steal, real) = unpack(self.inner.head.load(Ordering::Acquire));
        f.debug_struct("Local")
            .field("steal", &steal)
            .field("real", &real)
            .field("tail", &self.tail)
            .finish()
    }
}

/// The tasks a full queue hands to its overflow sink: the slots
/// `[next, end)`, already removed from the ring by the owner, then `last`.
struct OverflowBatch<'a, T> {
    inner: &'a Inner<T>,
    next: u32,
    end: u32,
    last: Option<T>,
}

impl<T> Iterator for OverflowBatch<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return self.last.take();
        }
        let index = self.next;
        self.next = index.wrapping_add(1);
        // SAFETY: the owner's CAS moved both `head` indices past `[next, end)`,
        // so no stealer can claim these slots, and the owner cannot push into
        // them while this batch borrows its queue. Each index is taken once.
        Some(unsafe { self.inner.take(index) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.end.wrapping_sub(self.next) as usize + usize::from(self.last.is_some());
        (len, Some(len))
    }
}

impl<T> Drop for OverflowBatch<'_, T> {
    fn drop(&mut self) {
        // The slots no longer belong to the ring; whatever the sink left
        // would leak otherwise.
        for task in self.by_ref() {
            drop(task);
        }
    }
}

/// A range of a victim's slots that one stealer has claimed on `head`.
struct Claim {
    first: u32,
    count: u32,
}

impl<T> Steal<T> {
    /// Moves about half of the victim's queued tasks into `dst` and returns
    /// one of them to run now.
    ///
    /// `dst` should be the calling worker's own queue. At most as many tasks
    /// as `dst` has room for are moved (plus the one returned). Returns `None`
    /// when there is nothing to take, when another steal from this victim is in
    /// flight, or when `dst` is this very queue.
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        if Arc::ptr_eq(&self.inner, &dst.inner) {
            return None;
        }
        // The returned task needs no slot in `dst`.
        let claim = self.claim(dst.free_slots() + 1)?;
        Some(self.finish_steal(claim, dst))
    }

    /// Whether the victim has no queued task (a steal in flight not counted).
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of queued tasks (a steal in flight not counted); a snapshot.
    pub(crate) fn len(&self) -> usize {
        self.inner.len_seen_by_stealer() as usize
    }

    /// Claims the older half (rounded up, at most `max`) of the queued tasks.
    fn claim(&self, max: u32) -> Option<Claim> {
        let mut head = self.inner.head.load(Ordering::Acquire);
        loop {
            let (steal, real) = unpack(head);
            if steal != real {
                return None;
            }
            let tail = self.inner.tail.load(Ordering::Acquire);
            let available = tail.wrapping_sub(real);
            // More than a full ring can only be a torn view (see "Memory
            // orderings", edge 3, for why it cannot happen); take nothing.
            if available == 0 || available > CAPACITY {
                return None;
            }
            let count = (available - available / 2).min(max);
            let claimed = pack(steal, real.wrapping_add(count));
            match self.inner.head.compare_exchange(
                head,
                claimed,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(Claim { first: real, count }),
                Err(actual) => head = actual,
            }
        }
    }

    /// Copies all but the last claimed task into `dst`, gives the slots back
    /// to the victim, and returns the last one.
    fn finish_steal(&self, claim: Claim, dst: &mut Local<T>) -> T {
        let moved = claim.count - 1;
        for offset in 0..moved {
            // SAFETY: the slot is in our claim, which holds queued tasks.
            let task = unsafe { self.inner.take(claim.first.wrapping_add(offset)) };
            // SAFETY: `dst` is the caller's own queue (`&mut` proves it owns
            // it) and `claim` asked for at most its free slots plus one.
            unsafe { dst.inner.put(dst.tail.wrapping_add(offset), task) };
        }
        // SAFETY: as above; this is the claim's last slot.
        let last = unsafe { self.inner.take(claim.first.wrapping_add(moved)) };
        self.release_claim();
        if moved > 0 {
            dst.publish_tail(dst.tail.wrapping_add(moved));
        }
        last
    }

    /// Ends this stealer's claim: `steal` catches up with `real`.
    fn release_claim(&self) {
        let mut head = self.inner.head.load(Ordering::Acquire);
        loop {
            let (_, real) = unpack(head);
            match self.inner.head.compare_exchange(
                head,
                pack(real, real),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                // Only the owner's pops change `head` during our claim.
                Err(actual) => head = actual,
            }
        }
    }
}

impl<T> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steal")
            .field("len", &self.inner.len_seen_by_stealer())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;

#[cfg(all(test, loom))]
mod loom_tests;
