//! A hierarchical timing wheel: a pure data structure (no threads, no locks,
//! no clock) that maps deadlines, counted in whole ticks, to values.
//!
//! Six levels of 64 slots each. A slot of level `n` covers `64^n` ticks, so
//! level 0 has one slot per tick and the whole wheel spans `64^6` ticks
//! (about 2.2 years at 1 ms a tick). An entry sits in the slot picked by the
//! highest 6-bit digit in which its deadline differs from the wheel's current
//! tick; when the wheel's time reaches a slot of a higher level, the slot's
//! entries cascade down to finer levels, and an entry is handed out only from
//! a slot whose time is its own deadline tick. So entries come out in deadline
//! order, never before their tick and never later than the first poll that
//! reaches it. Deadlines beyond the span park in the top level and cascade
//! round it until they come in range.
//!
//! Entries live in one [`Slab`]; each slot is an intrusive doubly-linked list
//! threaded through slab keys, so insert and remove are O(1) and a timer costs
//! no allocation beyond slab growth. A bitmap per level finds the next
//! occupied slot with a rotate and a trailing-zeros count. Every insert takes
//! a fresh generation number, which makes a [`TimerKey`] unusable once its
//! entry has gone: a stale key can never touch a timer that reused the slot.
//!
//! This module may call nothing but `slab`.

use std::fmt;

use slab::Slab;

const SLOT_BITS: u32 = 6;
const SLOTS: usize = 1 << SLOT_BITS;
const SLOT_MASK: u64 = SLOTS as u64 - 1;
const LEVELS: usize = 6;
/// The `level` value of an entry that has expired and waits to be handed out.
const EXPIRED_LIST: u8 = LEVELS as u8;
/// Marks the end of a list; slab keys never reach it.
const NIL: usize = usize::MAX;

/// The wheel's time never goes past this tick (about 146 million years at
/// 1 ms a tick), which keeps every slot-time computation free of overflow.
pub(crate) const MAX_TICK: u64 = u64::MAX >> 2;

/// Names one inserted entry. Stale once the entry is removed or handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TimerKey {
    index: usize,
    generation: u64,
}

/// An entry handed out by [`Wheel::poll_expired`].
#[derive(Debug)]
pub(crate) struct Expired<T> {
    pub(crate) deadline: u64,
    pub(crate) value: T,
}

#[derive(Debug)]
struct Entry<T> {
    deadline: u64,
    generation: u64,
    prev: usize,
    next: usize,
    /// `0..LEVELS`, or `EXPIRED_LIST`.
    level: u8,
    slot: u8,
    value: T,
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: usize,
    tail: usize,
}

impl List {
    const EMPTY: List = List {
        head: NIL,
        tail: NIL,
    };
}

/// The timing wheel. Invariant: every slab index reachable from a list (slot
/// lists and the expired list) is occupied, and every occupied entry is on
/// exactly the list its `level` and `slot` name. The slab indexing below
/// relies on it.
pub(crate) struct Wheel<T> {
    entries: Slab<Entry<T>>,
    slots: [[List; SLOTS]; LEVELS],
    /// Bit `s` of `occupied[level]` is set iff `slots[level][s]` is non-empty.
    occupied: [u64; LEVELS],
    /// Entries whose deadline has been reached, oldest deadline first.
    expired: List,
    /// The wheel's current tick: every slot time before it has been processed.
    elapsed: u64,
    next_generation: u64,
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("len", &self.entries.len())
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}

impl<T> Default for Wheel<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Self {
        Wheel {
            entries: Slab::new(),
            slots: [[List::EMPTY; SLOTS]; LEVELS],
            occupied: [0; LEVELS],
            expired: List::EMPTY,
            elapsed: 0,
            next_generation: 0,
        }
    }

    /// Number of entries not yet handed out or removed.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The wheel's current tick (the latest `now` given to `poll_expired`).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Adds an entry due at tick `deadline`. A deadline at or before the
    /// wheel's current tick expires at the next `poll_expired`.
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation += 1;
        let index = self.entries.insert(Entry {
            deadline,
            generation,
            prev: NIL,
            next: NIL,
            level: 0,
            slot: 0,
            value,
        });
        self.place(index);
        TimerKey { index, generation }
    }

    /// Removes the entry `key` names, wherever it is; `None` if the key is stale.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<T> {
        self.live_entry(key)?;
        self.unlink(key.index);
        Some(self.entries.remove(key.index).value)
    }

    pub(crate) fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        self.live_entry(key)?;
        Some(&mut self.entries[key.index].value)
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn deadline(&self, key: TimerKey) -> Option<u64> {
        self.live_entry(key).map(|entry| entry.deadline)
    }

    /// Moves a live entry to a new deadline, keeping its key and value.
    /// Returns false if the key is stale.
    pub(crate) fn reschedule(&mut self, key: TimerKey, deadline: u64) -> bool {
        if self.live_entry(key).is_none() {
            return false;
        }
        self.unlink(key.index);
        self.entries[key.index].deadline = deadline;
        self.place(key.index);
        true
    }

    /// The tick at which `poll_expired` next has work: either an entry's
    /// deadline or a slot whose entries must cascade. Never later than the
    /// earliest deadline (or the current tick, for entries already due).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        if self.expired.head != NIL {
            return Some(self.elapsed);
        }
        self.next_occupied_slot().map(|(tick, _, _)| tick)
    }

    /// Advances the wheel's time to `now` (never backwards) and hands out one
    /// entry whose deadline is at or before `now`, earliest deadline first.
    /// Returns `None` once no such entry is left. Callers pop in a loop, which
    /// lets a driver stop after a bounded batch and release its lock.
    pub(crate) fn poll_expired(&mut self, now: u64) -> Option<Expired<T>> {
        let now = now.min(MAX_TICK);
        loop {
            let index = self.expired.head;
            if index != NIL {
                self.unlink(index);
                let entry = self.entries.remove(index);
                return Some(Expired {
                    deadline: entry.deadline,
                    value: entry.value,
                });
            }
            match self.next_occupied_slot() {
                Some((tick, level, slot)) if tick <= now => {
                    self.elapsed = self.elapsed.max(tick);
                    self.process_slot(level, slot);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// Removes and returns any one entry, due or not, without moving the
    /// wheel's time (for shutting a driver down).
    pub(crate) fn pop_any(&mut self) -> Option<T> {
        let index = if self.expired.head != NIL {
            self.expired.head
        } else {
            let level = self.occupied.iter().position(|&bits| bits != 0)?;
            let slot = self.occupied[level].trailing_zeros() as usize;
            self.slots[level][slot].head
        };
        self.unlink(index);
        Some(self.entries.remove(index).value)
    }

    fn live_entry(&self, key: TimerKey) -> Option<&Entry<T>> {
        self.entries
            .get(key.index)
            .filter(|entry| entry.generation == key.generation)
    }

    /// Links an unlinked entry into the list its deadline calls for.
    fn place(&mut self, index: usize) {
        let deadline = self.entries[index].deadline;
        if deadline <= self.elapsed {
            self.link(index, EXPIRED_LIST, 0);
            return;
        }
        let (level, slot) = slot_for(self.elapsed, deadline);
        self.link(index, level, slot);
    }

    /// Empties one slot whose time (now `elapsed`) has come: entries due now
    /// expire, the rest go to finer levels.
    fn process_slot(&mut self, level: usize, slot: usize) {
        let list = std::mem::replace(&mut self.slots[level][slot], List::EMPTY);
        self.occupied[level] &= !(1 << slot);
        let mut index = list.head;
        while index != NIL {
            let next = self.entries[index].next;
            self.place(index);
            index = next;
        }
    }

    /// The earliest occupied slot over all levels: (its tick, level, slot).
    fn next_occupied_slot(&self) -> Option<(u64, usize, usize)> {
        (0..LEVELS)
            .filter_map(|level| {
                self.next_occupied_in(level)
                    .map(|(tick, slot)| (tick, level, slot))
            })
            .min_by_key(|&(tick, _, _)| tick)
    }

    /// The next occupied slot of `level` in the wheel's rotation from
    /// `elapsed`, and the tick at which it starts.
    fn next_occupied_in(&self, level: usize) -> Option<(u64, usize)> {
        let bits = self.occupied[level];
        if bits == 0 {
            return None;
        }
        let shift = SLOT_BITS * level as u32;
        let position = self.elapsed >> shift;
        let current = (position & SLOT_MASK) as u32;
        let rotated = bits.rotate_right(current);
        // At level 0 the current slot is the current tick. At higher levels
        // the current slot already began, so an entry found there (only a
        // deadline beyond the wheel's span can be) waits a full rotation.
        let distance = if level == 0 {
            u64::from(rotated.trailing_zeros())
        } else if rotated & !1 != 0 {
            u64::from((rotated & !1).trailing_zeros())
        } else {
            SLOTS as u64
        };
        let slot = ((position + distance) & SLOT_MASK) as usize;
        Some(((position + distance) << shift, slot))
    }

    fn list_mut(&mut self, level: u8, slot: u8) -> &mut List {
        if level == EXPIRED_LIST {
            &mut self.expired
        } else {
            &mut self.slots[usize::from(level)][usize::from(slot)]
        }
    }

    /// Appends an unlinked entry to the back of a list.
    fn link(&mut self, index: usize, level: u8, slot: u8) {
        let tail = self.list_mut(level, slot).tail;
        let entry = &mut self.entries[index];
        entry.level = level;
        entry.slot = slot;
        entry.prev = tail;
        entry.next = NIL;
        if tail == NIL {
            self.list_mut(level, slot).head = index;
        } else {
            self.entries[tail].next = index;
        }
        self.list_mut(level, slot).tail = index;
        if level != EXPIRED_LIST {
            self.occupied[usize::from(level)] |= 1 << slot;
        }
    }

    fn unlink(&mut self, index: usize) {
        let Entry {
            prev,
            next,
            level,
            slot,
            ..
        } = self.entries[index];
        if prev == NIL {
            self.list_mut(level, slot).head = next;
        } else {
            self.entries[prev].next = next;
        }
        if next == NIL {
            self.list_mut(level, slot).tail = prev;
        } else {
            self.entries[next].prev = prev;
        }
        if level != EXPIRED_LIST && self.list_mut(level, slot).head == NIL {
            self.occupied[usize::from(level)] &= !(1 << slot);
        }
    }
}

/// The slot for a deadline later than `elapsed`: the level of the highest
/// 6-bit digit in which the two differ, capped at the top level.
fn slot_for(elapsed: u64, deadline: u64) -> (u8, u8) {
    let differing = (elapsed ^ deadline) | SLOT_MASK;
    let highest_bit = 63 - differing.leading_zeros();
    let level = (highest_bit / SLOT_BITS).min(LEVELS as u32 - 1);
    let slot = (deadline >> (level * SLOT_BITS)) & SLOT_MASK;
    (level as u8, slot as u8)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// xorshift64*: deterministic, std-only randomness for property tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, bound: u64) -> u64 {
            self.next() % bound
        }

        /// Deadlines spread over every level, some beyond the wheel's span.
        fn deadline_after(&mut self, now: u64) -> u64 {
            let bits = self.below(41);
            now + self.below(1 << bits)
        }
    }

    #[test]
    fn insert_then_remove_returns_value_and_empties_wheel() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(10, "a");
        assert_eq!(wheel.len(), 1);
        assert_eq!(wheel.deadline(key), Some(10));
        assert_eq!(wheel.remove(key), Some("a"));
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_expiration(), None);
        assert_eq!(wheel.poll_expired(1_000).map(|e| e.value), None);
    }

    #[test]
    fn stale_key_cannot_touch_a_timer_that_reused_its_slot() {
        let mut wheel = Wheel::new();
        let old = wheel.insert(5, 1);
        assert_eq!(wheel.remove(old), Some(1));
        let new = wheel.insert(7, 2);
        assert_eq!(old.index, new.index, "the slab reuses the vacated index");
        assert_eq!(wheel.remove(old), None);
        assert!(!wheel.reschedule(old, 100));
        assert!(wheel.get_mut(old).is_none());
        assert_eq!(wheel.deadline(new), Some(7));

        let fired = wheel.poll_expired(7).expect("new timer is due");
        assert_eq!((fired.deadline, fired.value), (7, 2));
        assert_eq!(wheel.remove(new), None, "a handed-out key is stale");
    }

    #[test]
    fn past_and_present_deadlines_expire_at_next_poll() {
        let mut wheel = Wheel::new();
        assert!(wheel.poll_expired(100).is_none());
        wheel.insert(3, "past");
        wheel.insert(100, "now");
        assert_eq!(wheel.next_expiration(), Some(100));
        let mut values = Vec::new();
        while let Some(expired) = wheel.poll_expired(100) {
            values.push(expired.value);
        }
        assert_eq!(values, ["past", "now"]);
    }

    #[test]
    fn time_never_moves_backwards() {
        let mut wheel = Wheel::new();
        assert!(wheel.poll_expired(500).is_none());
        assert!(wheel.poll_expired(20).is_none());
        assert_eq!(wheel.elapsed(), 500);
        wheel.insert(501, ());
        assert!(wheel.poll_expired(499).is_none());
        assert!(wheel.poll_expired(501).is_some());
    }

    #[test]
    fn reschedule_moves_entry_keeping_key() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(1_000_000, 'x');
        assert!(wheel.reschedule(key, 70));
        assert_eq!(
            wheel.next_expiration(),
            Some(64),
            "cascade point of level 1"
        );
        assert!(wheel.poll_expired(69).is_none());
        let fired = wheel.poll_expired(70).expect("rescheduled timer fires");
        assert_eq!((fired.deadline, fired.value), (70, 'x'));
        assert_eq!(wheel.remove(key), None);
    }

    #[test]
    fn pop_any_drains_everything_without_moving_time() {
        let mut wheel = Wheel::new();
        let mut rng = Rng(7);
        for i in 0..1_000 {
            wheel.insert(rng.deadline_after(0), i);
        }
        wheel.insert(0, 1_000);
        let mut seen = BTreeSet::new();
        while let Some(value) = wheel.pop_any() {
            assert!(seen.insert(value));
        }
        assert_eq!(seen.len(), 1_001);
        assert!(wheel.is_empty());
        assert_eq!(wheel.elapsed(), 0);
        assert_eq!(wheel.next_expiration(), None);
    }

    /// 100,000 timers, polled at random steps: each fires at the first poll
    /// that reaches its deadline (never early, never late), in deadline order,
    /// none lost; half of them, removed, never fire.
    #[test]
    fn many_random_timers_fire_in_order_none_early_none_late_none_lost() {
        for remove_half in [false, true] {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            let mut wheel = Wheel::new();
            let mut pending = BTreeSet::new();
            let mut keys = Vec::new();
            for id in 0..100_000u64 {
                let deadline = rng.deadline_after(0);
                keys.push((wheel.insert(deadline, id), deadline, id));
                pending.insert((deadline, id));
            }
            if remove_half {
                for &(key, deadline, id) in keys.iter().filter(|(_, _, id)| id % 2 == 0) {
                    assert_eq!(wheel.remove(key), Some(id));
                    assert_eq!(wheel.remove(key), None);
                    pending.remove(&(deadline, id));
                }
                assert_eq!(wheel.len(), 50_000);
            }

            let mut previous_now = 0;
            let mut last_fired = 0;
            let mut now = 0;
            while !pending.is_empty() {
                let earliest = pending.first().map(|&(deadline, _)| deadline);
                let next = wheel.next_expiration().expect("entries remain");
                assert!(Some(next) <= earliest.map(|d| d.max(wheel.elapsed())));
                let step_bits = rng.below(40);
                now += rng.below(1 << step_bits);
                while let Some(expired) = wheel.poll_expired(now) {
                    assert!(expired.deadline <= now, "fired early");
                    assert!(
                        expired.deadline > previous_now || previous_now == 0,
                        "fired late"
                    );
                    assert!(expired.deadline >= last_fired, "out of order");
                    assert!(pending.remove(&(expired.deadline, expired.value)));
                    last_fired = expired.deadline;
                }
                if let Some(&(deadline, _)) = pending.first() {
                    assert!(deadline > now, "a due timer was left behind");
                }
                previous_now = now;
            }
            assert!(wheel.is_empty());
            assert_eq!(wheel.next_expiration(), None);
        }
    }

    /// A driver that sleeps exactly until `next_expiration` sees every timer
    /// fire at its own deadline tick, including deadlines inserted while the
    /// wheel is running and deadlines beyond the wheel's span.
    #[test]
    fn driver_sleeping_until_next_expiration_fires_each_timer_on_its_tick() {
        let mut rng = Rng(42);
        let mut wheel = Wheel::new();
        for id in 0..20_000u64 {
            wheel.insert(rng.deadline_after(0), id);
        }
        let mut inserted = 20_000u64;
        let mut fired = 0u64;
        let mut wake_ups = 0u64;
        while let Some(now) = wheel.next_expiration() {
            wake_ups += 1;
            assert!(wake_ups < 10_000_000, "the wheel keeps asking to be polled");
            while let Some(expired) = wheel.poll_expired(now) {
                assert_eq!(expired.deadline, now, "fired off its tick");
                fired += 1;
            }
            if inserted < 30_000 && rng.below(4) == 0 {
                wheel.insert(rng.deadline_after(now + 1), inserted);
                inserted += 1;
            }
        }
        assert_eq!(fired, inserted);
    }

    #[test]
    fn removing_from_the_expired_list_works() {
        let mut wheel = Wheel::new();
        wheel.insert(5, 'a');
        let b = wheel.insert(5, 'b');
        wheel.insert(5, 'c');
        let first = wheel.poll_expired(5).expect("due");
        assert_eq!(first.value, 'a');
        // b and c now sit on the expired list.
        assert_eq!(wheel.remove(b), Some('b'));
        assert_eq!(wheel.poll_expired(5).map(|e| e.value), Some('c'));
        assert!(wheel.poll_expired(5).is_none());
    }

    #[test]
    fn slot_for_picks_level_of_highest_differing_digit() {
        assert_eq!(slot_for(0, 1), (0, 1));
        assert_eq!(slot_for(0, 63), (0, 63));
        assert_eq!(slot_for(0, 64), (1, 1));
        assert_eq!(slot_for(60, 64), (1, 1));
        assert_eq!(slot_for(64, 127), (0, 63));
        assert_eq!(slot_for(0, 1 << 30), (5, 1));
        assert_eq!(slot_for(0, 1 << 36), (5, 0), "beyond the span: top level");
    }
}
