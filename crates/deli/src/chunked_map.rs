//! What both pools' lazy `map`s share. [`ChunkSizer`]: chunk sizes that
//! follow the measured cost of an item, so that many cheap items go in one
//! job (or one request to a child process) while slow items still go one
//! at a time — the first chunks are small (1, 2, 4, … up to a cap) until
//! one has been measured, then every chunk aims at a target of work, from
//! the average time per item of the chunks seen so far. [`size_hint`]: the
//! hint of a map holding some results while its inputs last. A leaf (std
//! only).

/// Picks chunk sizes from the measured cost per item.
#[derive(Debug)]
pub(crate) struct ChunkSizer {
    fixed: Option<usize>,
    /// How long one chunk should compute.
    target_nanos: f64,
    /// Sizes double up to this until a chunk has been measured.
    max_unmeasured: usize,
    /// No chunk holds more items than this, however cheap they are.
    max: usize,
    /// Items and nanoseconds of the chunks seen so far, older chunks
    /// weighing less (see `observe`); `None` until the first chunk.
    seen: Option<(f64, f64)>,
    unmeasured_next: usize,
}

impl ChunkSizer {
    /// Sizes aiming at `target_nanos` of work per chunk, doubling up to
    /// `max_unmeasured` items before the first measurement and never above
    /// `max` items.
    pub(crate) const fn new(target_nanos: f64, max_unmeasured: usize, max: usize) -> ChunkSizer {
        ChunkSizer {
            fixed: None,
            target_nanos,
            max_unmeasured,
            max,
            seen: None,
            unmeasured_next: 1,
        }
    }

    /// Every chunk holds exactly `items` (at least 1) from now on.
    pub(crate) fn fix(&mut self, items: usize) {
        self.fixed = Some(items.max(1));
    }

    /// The size set by [`fix`](Self::fix), if any.
    pub(crate) fn fixed(&self) -> Option<usize> {
        self.fixed
    }

    /// Whether sizes still wait for a first measurement.
    pub(crate) fn is_measuring(&self) -> bool {
        self.fixed.is_none() && self.seen.is_none()
    }

    /// The size of the next chunk.
    pub(crate) fn next_size(&mut self) -> usize {
        let size = self.size_now();
        if self.is_measuring() {
            self.unmeasured_next = (size * 2).min(self.max_unmeasured);
        }
        size
    }

    /// The size the next chunk will have, without moving on.
    pub(crate) fn size_now(&self) -> usize {
        if let Some(fixed) = self.fixed {
            return fixed;
        }
        match self.seen.map(|(items, nanos)| nanos / items) {
            Some(nanos) if nanos > 0.0 => ((self.target_nanos / nanos) as usize).clamp(1, self.max),
            Some(_) => self.max,
            None => self.unmeasured_next.clamp(1, self.max_unmeasured),
        }
    }

    /// `size`, or less near the end of inputs whose count is known
    /// (`inputs` is their size hint): at most a `2 * workers`-th of what is
    /// left, so the last chunks shrink and the workers finish together
    /// instead of one computing a whole full-size chunk alone
    /// (`pool/map_1m`: up to 0.4 ms of one thread idle at the end, where
    /// rayon's splitting balances to the item). A fixed size is kept.
    pub(crate) fn within_tail(
        &self,
        size: usize,
        inputs: (usize, Option<usize>),
        workers: usize,
    ) -> usize {
        match inputs {
            (left, Some(high)) if left == high && self.fixed.is_none() => {
                size.min(left.div_ceil(2 * workers.max(1)).max(1))
            }
            _ => size,
        }
    }

    /// A chunk of `items` took `nanos` to compute. Each chunk counts as
    /// much as the items it covers, and the past decays by a quarter per
    /// chunk: one odd chunk (a preempted thread) moves the size by at most
    /// a quarter when the chunks are alike, and the first, one-item chunk
    /// — which pays for waking a thread and a cold cache, measured at
    /// hundreds of times the real cost — does not hold the sizes down for
    /// dozens of chunks (`pool/map_1m` took some thirty round trips to
    /// reach full-size chunks when each chunk's per-item time weighed the
    /// same).
    pub(crate) fn observe(&mut self, items: usize, nanos: u128) {
        if items == 0 {
            return;
        }
        let (items, nanos) = (items as f64, nanos as f64);
        self.seen = Some(match self.seen {
            None => (items, nanos),
            Some((seen_items, seen_nanos)) => {
                (0.75 * seen_items + items, 0.75 * seen_nanos + nanos)
            }
        });
    }
}

/// The size hint of a map with `known` results on hand or on their way,
/// and `inputs` left to take (`None` once they have run out).
pub(crate) fn size_hint<I: Iterator>(known: usize, inputs: Option<&I>) -> (usize, Option<usize>) {
    match inputs {
        None => (known, Some(known)),
        Some(inputs) => {
            let (low, high) = inputs.size_hint();
            (
                known.saturating_add(low),
                high.and_then(|high| high.checked_add(known)),
            )
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn chunks_start_small_then_follow_the_measured_cost() {
        let mut sizer = ChunkSizer::new(500_000.0, 64, 16_384);
        assert!(sizer.is_measuring());
        assert_eq!(
            (0..8).map(|_| sizer.next_size()).collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 64, 64]
        );
        sizer.observe(10, 1_000); // 100 ns per item
        assert!(!sizer.is_measuring());
        assert_eq!(sizer.next_size(), 5_000);
        let mut slow = ChunkSizer::new(500_000.0, 64, 16_384);
        slow.observe(1, 5_000_000);
        assert_eq!(slow.next_size(), 1);
        let mut free = ChunkSizer::new(500_000.0, 64, 16_384);
        free.observe(100, 0);
        assert_eq!(free.next_size(), 16_384);
        // A slow first chunk (a thread waking, a cold cache) counts for
        // its one item only: a few chunks of 100 ns items later, the size
        // is close to the real one (a per-chunk average said 5 here).
        let mut cold = ChunkSizer::new(500_000.0, 64, 16_384);
        cold.observe(1, 300_000);
        for items in [32, 1_000, 2_000, 4_000] {
            cold.observe(items, items as u128 * 100);
        }
        assert!(cold.next_size() > 4_000, "{}", cold.next_size());
    }

    #[test]
    fn chunks_shrink_near_the_end_of_a_known_count() {
        let sizer = ChunkSizer::new(500_000.0, 64, 16_384);
        assert_eq!(sizer.within_tail(5_000, (100_000, Some(100_000)), 2), 5_000);
        assert_eq!(sizer.within_tail(5_000, (8_000, Some(8_000)), 2), 2_000);
        assert_eq!(sizer.within_tail(5_000, (1, Some(1)), 2), 1);
        assert_eq!(sizer.within_tail(5_000, (10, None), 2), 5_000);
        let mut fixed = ChunkSizer::new(500_000.0, 64, 16_384);
        fixed.fix(5_000);
        assert_eq!(fixed.within_tail(5_000, (8_000, Some(8_000)), 2), 5_000);
    }

    #[test]
    fn a_fixed_size_wins_and_one_item_at_a_time_stays_one() {
        let mut fixed = ChunkSizer::new(500_000.0, 64, 16_384);
        fixed.fix(0);
        assert_eq!(fixed.fixed(), Some(1));
        fixed.observe(10, 10);
        assert_eq!(fixed.next_size(), 1);
        let mut single = ChunkSizer::new(1_000_000.0, 1, 4_096);
        assert_eq!([single.next_size(), single.next_size()], [1, 1]);
    }
}
