//! One thread's event log: an append-only list of fixed-size chunks that
//! its owner thread writes without locks and `stop()` reads while the
//! owner may still be writing.
//!
//! The owner writes a slot, then publishes the new length with a Release
//! store; a reader loads the length with Acquire and reads only the slots
//! below it, which the owner never touches again. Chunks are linked by
//! atomic pointers written before the length that first counts them, and
//! are freed only when the log itself is dropped (by whoever holds the
//! last reference), so a reader never sees a chunk go away. The loom
//! models below check a reader racing the owner across a chunk boundary.
//!
//! Memory is bounded by a [`Budget`] of chunks shared by every log of a
//! session: a full log drops further events and counts them.

use std::sync::Arc as StdArc;

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use crate::loom::sync::Arc;

/// Events per chunk. Small under loom so the models cross a boundary.
#[cfg(not(loom))]
pub(super) const CHUNK_EVENTS: usize = 4096;
#[cfg(loom)]
pub(super) const CHUNK_EVENTS: usize = 2;

/// How many slots ahead of the next one the writer asks the cache for.
const PREFETCH_AHEAD: usize = 16;

/// Asks for `slot`'s cache line ahead of the write, so that the write does
/// not wait for it (and neither does the scheduler's next atomic operation,
/// which must drain the writes before it).
#[inline(always)]
fn prefetch_for_write<T>(slot: &T) {
    #[cfg(all(target_arch = "x86_64", not(loom), not(miri)))]
    // SAFETY: a prefetch is a hint: it reads nothing into the program and
    // cannot fault; `slot` is a valid address anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_ET0 }>(
            (slot as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(all(target_arch = "x86_64", not(loom), not(miri))))]
    let _ = slot;
}

/// The code in [`RawEvent::meta`]'s low byte for a name record.
const NAME_RECORD: u64 = 0xff;

/// One recorded event, as compact as the hot path can write it: a
/// timestamp in clock ticks, a task id, and the packed state, job kind and
/// lane (see `recorder`). A name record instead carries an owned pointer
/// to the task's name in `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct RawEvent {
    pub(super) at: u64,
    pub(super) task: u64,
    pub(super) meta: u64,
}

impl RawEvent {
    /// A record that names `task`; the log owns the name until it drops.
    pub(super) fn name_record(task: u64, name: StdArc<str>) -> RawEvent {
        let boxed = Box::into_raw(Box::new(name));
        RawEvent {
            at: boxed as usize as u64,
            task,
            meta: NAME_RECORD,
        }
    }

    /// The name a name record carries; `None` for an ordinary event.
    pub(super) fn name(&self) -> Option<&StdArc<str>> {
        if self.meta != NAME_RECORD {
            return None;
        }
        let boxed = self.at as usize as *const StdArc<str>;
        // SAFETY: a name record's `at` is a pointer from `Box::into_raw`
        // in `name_record`, freed only by the log's `Drop`, which takes
        // `&mut` to the log and so outlives every borrow of its events.
        Some(unsafe { &*boxed })
    }
}

/// How many chunks all the logs of one session may still allocate.
#[derive(Debug)]
pub(super) struct Budget {
    chunks_left: AtomicUsize,
}

impl Budget {
    pub(super) fn new(chunks: usize) -> Budget {
        Budget {
            chunks_left: AtomicUsize::new(chunks),
        }
    }

    /// Takes one chunk from the budget, if any is left.
    fn take(&self) -> bool {
        let mut left = self.chunks_left.load(Ordering::Relaxed);
        loop {
            if left == 0 {
                return false;
            }
            match self.chunks_left.compare_exchange_weak(
                left,
                left - 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => left = actual,
            }
        }
    }
}

#[derive(Debug)]
struct Chunk {
    next: AtomicPtr<Chunk>,
    slots: Box<[UnsafeCell<RawEvent>]>,
}

impl Chunk {
    fn allocate() -> *mut Chunk {
        let slots = (0..CHUNK_EVENTS)
            .map(|_| UnsafeCell::new(RawEvent::default()))
            .collect();
        Box::into_raw(Box::new(Chunk {
            next: AtomicPtr::new(std::ptr::null_mut()),
            slots,
        }))
    }
}

/// The shared half of one thread's log: what a reader can see.
#[derive(Debug)]
pub(super) struct EventLog {
    head: AtomicPtr<Chunk>,
    /// Events published so far (Release by the owner, Acquire by readers).
    len: AtomicUsize,
    /// Events the owner could not keep because the budget ran out.
    dropped: AtomicU64,
    /// Whether any event is a name record (which owns memory): a log
    /// without one is taken apart without reading its events.
    has_names: AtomicBool,
}

impl EventLog {
    fn new() -> EventLog {
        EventLog {
            head: AtomicPtr::new(std::ptr::null_mut()),
            len: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            has_names: AtomicBool::new(false),
        }
    }

    /// Unlinks every chunk (freeing the names they hold) and returns them,
    /// for a new log of the same thread to fill again.
    fn take_chunks(&mut self) -> Vec<*mut Chunk> {
        let mut chunks = Vec::new();
        let has_names = self.has_names.load(Ordering::Relaxed);
        let mut remaining = self.len.load(Ordering::Acquire);
        let mut chunk = self.head.swap(std::ptr::null_mut(), Ordering::Acquire);
        self.len.store(0, Ordering::Relaxed);
        while !chunk.is_null() {
            chunks.push(chunk);
            // SAFETY: `&mut self`: no writer or reader is left, and every
            // chunk linked here came from `Chunk::allocate`, linked once.
            let current = unsafe { &*chunk };
            let count = remaining.min(CHUNK_EVENTS);
            if has_names {
                for slot in &current.slots[..count] {
                    // SAFETY: no other access is left (see above).
                    let event = slot.with(|event| unsafe { *event });
                    if event.meta == NAME_RECORD {
                        // SAFETY: a name record's pointer came from
                        // `Box::into_raw` and is freed here, once (the
                        // chunk's length is reset below it).
                        drop(unsafe { Box::from_raw(event.at as usize as *mut StdArc<str>) });
                    }
                }
            }
            remaining -= count;
            chunk = current.next.swap(std::ptr::null_mut(), Ordering::Acquire);
        }
        chunks
    }

    /// Appends every event published so far to `out`; returns how many
    /// events were dropped over the budget.
    pub(super) fn read_into(&self, out: &mut Vec<RawEvent>) -> u64 {
        let len = self.len.load(Ordering::Acquire);
        let mut chunk = self.head.load(Ordering::Acquire);
        let mut remaining = len;
        while remaining > 0 && !chunk.is_null() {
            // SAFETY: a chunk linked into the log stays allocated until the
            // log drops, and `self` borrows the log.
            let current = unsafe { &*chunk };
            let count = remaining.min(CHUNK_EVENTS);
            for slot in &current.slots[..count] {
                // SAFETY: slots below the published length were written
                // before the Release store of `len` that this thread
                // acquired, and the owner never writes them again.
                out.push(slot.with(|event| unsafe { *event }));
            }
            remaining -= count;
            chunk = current.next.load(Ordering::Acquire);
        }
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        for chunk in self.take_chunks() {
            // SAFETY: unlinked by `take_chunks`, which hands each chunk out
            // once; nobody else can reach it.
            drop(unsafe { Box::from_raw(chunk) });
        }
    }
}

/// The owner's half: where the next event goes. There is one writer per
/// log, so whoever holds it may write without further checks.
#[derive(Debug)]
pub(super) struct Writer {
    log: Arc<EventLog>,
    tail: *mut Chunk,
    /// The first slot of `tail` (null before the first chunk).
    slots: *const UnsafeCell<RawEvent>,
    /// Slots used in `tail`.
    used: usize,
    len: usize,
    /// Chunks of this thread's previous log, to fill before allocating:
    /// no allocation, no fresh pages (a traced benchmark round showed both).
    spares: Vec<*mut Chunk>,
}

// SAFETY: `tail` points into the log this writer keeps alive through its
// `Arc`; the writer is the only one that writes slots or links chunks, and
// moving it to another thread moves that right with it.
unsafe impl Send for Writer {}

impl Writer {
    /// A new, empty log and its writer.
    pub(super) fn new() -> Writer {
        Writer {
            log: Arc::new(EventLog::new()),
            tail: std::ptr::null_mut(),
            slots: std::ptr::null(),
            used: CHUNK_EVENTS,
            len: 0,
            spares: Vec::new(),
        }
    }

    /// A writer for a new, empty log, reusing this one's chunks if nobody
    /// else holds its log any more (the session that read it has let go).
    pub(super) fn renew(mut self) -> Writer {
        let mut spares = std::mem::take(&mut self.spares);
        let log = std::mem::replace(&mut self.log, Arc::new(EventLog::new()));
        if let Ok(mut log) = Arc::try_unwrap(log) {
            spares.extend(log.take_chunks());
        }
        let mut renewed = Writer::new();
        renewed.spares = spares;
        renewed
    }

    /// The log this writer appends to, for the session's list.
    pub(super) fn log(&self) -> Arc<EventLog> {
        self.log.clone()
    }

    /// Appends `event` and publishes it. Returns `false` (and counts the
    /// event as dropped) when a new chunk was needed and `budget` had none.
    pub(super) fn push(&mut self, event: RawEvent, budget: &Budget) -> bool {
        if event.meta != NAME_RECORD {
            return self.push_event(event, budget);
        }
        if self.used == CHUNK_EVENTS && !self.grow(budget) {
            // Never stored: free the name here.
            // SAFETY: the pointer came from `Box::into_raw` just now
            // and was never published.
            drop(unsafe { Box::from_raw(event.at as usize as *mut StdArc<str>) });
            self.count_dropped();
            return false;
        }
        self.log.has_names.store(true, Ordering::Relaxed);
        self.write(event);
        true
    }

    /// [`push`](Writer::push) for an event that is not a name record: the
    /// recorder's hot path.
    #[inline(always)]
    pub(super) fn push_event(&mut self, event: RawEvent, budget: &Budget) -> bool {
        if self.used == CHUNK_EVENTS && !self.grow(budget) {
            self.count_dropped();
            return false;
        }
        self.write(event);
        true
    }

    #[cold]
    fn count_dropped(&self) {
        let dropped = self.log.dropped.load(Ordering::Relaxed);
        self.log.dropped.store(dropped + 1, Ordering::Relaxed);
    }

    /// Writes `event` into the next slot of `tail` (there is one) and
    /// publishes it.
    #[inline(always)]
    fn write(&mut self, event: RawEvent) {
        debug_assert!(self.used < CHUNK_EVENTS);
        // SAFETY: `slots` is the first of the `CHUNK_EVENTS` slots of
        // `tail`, a live chunk of this log (see `grow`), and `used` is
        // below `CHUNK_EVENTS` (the callers grow first); slot `used` is
        // beyond the published length, so no reader looks at it.
        let slot = unsafe { &*self.slots.add(self.used) };
        // SAFETY: only this writer writes slots, and readers wait for the
        // length published below.
        slot.with_mut(|place| unsafe { *place = event });
        self.used += 1;
        self.len += 1;
        self.log.len.store(self.len, Ordering::Release);
        // SAFETY: as above; the index is clamped into the chunk.
        prefetch_for_write(unsafe {
            &*self
                .slots
                .add((self.used + PREFETCH_AHEAD).min(CHUNK_EVENTS - 1))
        });
    }

    #[cold]
    fn grow(&mut self, budget: &Budget) -> bool {
        if !budget.take() {
            return false;
        }
        let chunk = self.spares.pop().unwrap_or_else(Chunk::allocate);
        let link = if self.tail.is_null() {
            &self.log.head
        } else {
            // SAFETY: `tail` is a chunk of this log, alive while the log is.
            unsafe { &(*self.tail).next }
        };
        // Release: the chunk's initialised slots before the pointer; the
        // Release store of `len` that first counts an event in it orders
        // the link too.
        link.store(chunk, Ordering::Release);
        self.tail = chunk;
        // SAFETY: `chunk` is live (allocated or a spare of this writer).
        self.slots = unsafe { (*chunk).slots.as_ptr() };
        self.used = 0;
        true
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        for chunk in self.spares.drain(..) {
            // SAFETY: spares were unlinked from a log nobody else held and
            // belong to this writer alone.
            drop(unsafe { Box::from_raw(chunk) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn event(n: u64) -> RawEvent {
        RawEvent {
            at: n,
            task: n + 1,
            meta: 3,
        }
    }

    #[test]
    fn reads_back_what_was_written_across_chunks() {
        let budget = Budget::new(10);
        let mut writer = Writer::new();
        let total = CHUNK_EVENTS as u64 * 2 + 7;
        for n in 0..total {
            assert!(writer.push(event(n), &budget));
        }
        let mut out = Vec::new();
        assert_eq!(writer.log().read_into(&mut out), 0);
        assert_eq!(out.len() as u64, total);
        assert!(out.iter().enumerate().all(|(i, e)| *e == event(i as u64)));
    }

    #[test]
    fn drops_and_counts_past_the_budget() {
        let budget = Budget::new(1);
        let mut writer = Writer::new();
        for n in 0..CHUNK_EVENTS as u64 + 5 {
            writer.push(event(n), &budget);
        }
        writer.push(RawEvent::name_record(1, "lost".into()), &budget);
        let mut out = Vec::new();
        assert_eq!(writer.log().read_into(&mut out), 6);
        assert_eq!(out.len(), CHUNK_EVENTS);
    }

    #[test]
    fn a_renewed_writer_reuses_the_chunks_of_a_log_nobody_holds() {
        let budget = Budget::new(10);
        let name: StdArc<str> = "old".into();
        let mut writer = Writer::new();
        writer.push(RawEvent::name_record(1, name.clone()), &budget);
        for n in 0..CHUNK_EVENTS as u64 {
            writer.push(event(n), &budget);
        }
        let mut writer = writer.renew();
        assert_eq!(writer.spares.len(), 2);
        assert_eq!(StdArc::strong_count(&name), 1, "the old name was freed");
        writer.push(event(7), &budget);
        assert_eq!(writer.spares.len(), 1);
        let mut out = Vec::new();
        writer.log().read_into(&mut out);
        assert_eq!(out, [event(7)]);

        // A log someone still reads keeps its chunks.
        let held = writer.log();
        let writer = writer.renew();
        assert_eq!(writer.spares.len(), 1);
        let mut out = Vec::new();
        held.read_into(&mut out);
        assert_eq!(out, [event(7)]);
    }

    #[test]
    fn name_records_keep_their_name_until_the_log_drops() {
        let budget = Budget::new(1);
        let name: StdArc<str> = "fetch".into();
        let mut writer = Writer::new();
        writer.push(RawEvent::name_record(9, name.clone()), &budget);
        let log = writer.log();
        drop(writer);
        let mut out = Vec::new();
        log.read_into(&mut out);
        assert_eq!(out[0].name().map(|n| &**n), Some("fetch"));
        assert_eq!(event(0).name(), None);
        assert_eq!(StdArc::strong_count(&name), 2);
        drop(log);
        assert_eq!(StdArc::strong_count(&name), 1);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::thread;

    fn event(n: u64) -> RawEvent {
        RawEvent {
            at: n,
            task: n,
            meta: 1,
        }
    }

    /// A writer that runs `push` on its own thread under a budget of
    /// `chunks` (and is dropped there after it), and its log, for a reader
    /// on this thread.
    fn spawn_owner(
        chunks: usize,
        push: impl FnOnce(&mut Writer, &Budget) + Send + 'static,
    ) -> (Arc<EventLog>, thread::JoinHandle<()>) {
        let budget = StdArc::new(Budget::new(chunks));
        let mut writer = Writer::new();
        let log = writer.log();
        let owner = thread::spawn(move || push(&mut writer, &budget));
        (log, owner)
    }

    /// A reader racing the owner across a chunk boundary sees a prefix of
    /// what was written, in order, and never a half-written slot.
    #[test]
    fn loom_reader_sees_a_published_prefix() {
        loom::model(|| {
            let (log, owner) = spawn_owner(4, |writer, budget| {
                for n in 0..3 {
                    assert!(writer.push(event(n), budget));
                }
            });
            let mut seen = Vec::new();
            log.read_into(&mut seen);
            assert!(seen.len() <= 3);
            assert!(seen.iter().enumerate().all(|(i, e)| *e == event(i as u64)));
            owner.join().unwrap();
            let mut all = Vec::new();
            log.read_into(&mut all);
            assert_eq!(all.len(), 3);
        });
    }

    /// The log outlives whichever side lets go last: a reader holding the
    /// log after its owner is gone still reads everything.
    #[test]
    fn loom_owner_exit_races_a_reader() {
        loom::model(|| {
            let (log, owner) = spawn_owner(1, |writer, budget| {
                writer.push(event(0), budget);
                writer.push(event(1), budget);
                // Over the one-chunk budget under loom: dropped.
                assert!(!writer.push(event(2), budget));
            });
            let mut seen = Vec::new();
            let dropped = log.read_into(&mut seen);
            assert!(seen.len() <= 2 && dropped <= 1);
            owner.join().unwrap();
            let mut all = Vec::new();
            assert_eq!(log.read_into(&mut all), 1);
            assert_eq!(all, [event(0), event(1)]);
        });
    }
}
