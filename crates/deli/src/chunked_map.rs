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
    /// Nanoseconds per item, averaged over the chunks seen so far.
    nanos_per_item: Option<f64>,
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
            nanos_per_item: None,
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
        self.fixed.is_none() && self.nanos_per_item.is_none()
    }

    /// The size of the next chunk.
    pub(crate) fn next_size(&mut self) -> usize {
        if let Some(fixed) = self.fixed {
            return fixed;
        }
        match self.nanos_per_item {
            Some(nanos) if nanos > 0.0 => ((self.target_nanos / nanos) as usize).clamp(1, self.max),
            Some(_) => self.max,
            None => {
                let size = self.unmeasured_next.clamp(1, self.max_unmeasured);
                self.unmeasured_next = (size * 2).min(self.max_unmeasured);
                size
            }
        }
    }

    /// A chunk of `items` took `nanos` to compute.
    pub(crate) fn observe(&mut self, items: usize, nanos: u128) {
        if items == 0 {
            return;
        }
        let sample = nanos as f64 / items as f64;
        self.nanos_per_item = Some(match self.nanos_per_item {
            None => sample,
            // Mostly the past: one odd chunk (a preempted thread) should
            // not swing the size.
            Some(average) => 0.75 * average + 0.25 * sample,
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
