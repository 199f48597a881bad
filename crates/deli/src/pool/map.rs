//! `ThreadPool::map`: an ordered, lazy, bounded parallel map.
//!
//! The iterator takes inputs only when it has room, groups them in chunks,
//! submits each chunk as one job and hands results back in input order.
//! Chunk sizes adapt: the first chunks are tiny (1, 2, 4, … items) and
//! every finished chunk reports how long its items took, from which the
//! next sizes aim at [`TARGET_CHUNK_NANOS`] of work. So a million cheap
//! items cost a few hundred jobs, while slow items still go one per job.
//! [`Map::into_vec`] runs the whole map into one `Vec` instead, with
//! longer chunks, and, for inputs of known length, each chunk writing its
//! values straight into the output (`in_place`).
//! Calls this folder, `task` and `crate::chunked_map`.

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use super::ThreadPool;
use crate::chunked_map::{self, ChunkSizer};
use crate::task::{is_cancel_requested, JobError, Ticket};

mod in_place;

/// How long one chunk should compute: long enough that a job's overhead
/// (a few microseconds) is lost in it, short enough to balance the threads
/// at the end and to keep the first results coming.
const TARGET_CHUNK_NANOS: f64 = 500_000.0;
/// No chunk holds more inputs than this, however cheap they are, which
/// bounds memory together with [`Map::max_in_flight`].
const MAX_CHUNK: usize = 16_384;
/// How long one chunk of [`Map::into_vec`] should compute. Nobody reads
/// its results before the end, so chunks can be longer than the
/// iterator's: the calling thread wakes once per chunk, and on a machine
/// with as many pool threads as cores each wake-up (with the next input
/// chunk it collects) takes a pool thread's core for a while (`pool/map_1m`,
/// traced: 10–60 µs per chunk, a few percent of the run with 0.5 ms
/// chunks). The end still balances: chunks shrink near the end of inputs
/// of known length.
const INTO_VEC_CHUNK_NANOS: f64 = 2_000_000.0;
/// [`MAX_CHUNK`] for [`Map::into_vec`].
const INTO_VEC_MAX_CHUNK: usize = 65_536;
/// Chunks are sized by doubling up to this until one has been measured.
const MAX_UNMEASURED_CHUNK: usize = 64;
/// How often a chunk looks at its cancel flag.
const CANCEL_CHECK_EVERY: usize = 64;

/// What a chunk job returns: the values of the items that succeeded, in
/// order, and the few that panicked beside them (kept apart so the common
/// case moves plain values, not `Result`s, between threads).
struct ChunkOutput<T> {
    values: Vec<T>,
    /// (position in the chunk, error), in position order.
    errors: Vec<(usize, JobError)>,
    nanos: u128,
}

impl<T> ChunkOutput<T> {
    fn len(&self) -> usize {
        self.values.len() + self.errors.len()
    }
}

/// Hands out a finished chunk's results in input order.
///
/// The common case (nothing in the chunk panicked) is one test and one
/// move per item: the caller's thread does this for every item while the
/// pool computes, so on a machine with as many pool threads as cores its
/// cost comes straight out of theirs (`pool/map_1m`: a peekable error list
/// checked per item was a fifth of the caller's instructions).
struct ChunkResults<T> {
    values: std::vec::IntoIter<T>,
    /// The errors after `next_error`, in position order.
    errors: std::vec::IntoIter<(usize, JobError)>,
    /// The next error and its position in the chunk; `None` when no error
    /// is left, which is all the fast path looks at.
    next_error: Option<(usize, JobError)>,
    position: usize,
}

impl<T> ChunkResults<T> {
    fn empty() -> ChunkResults<T> {
        ChunkResults::new(Vec::new(), Vec::new())
    }

    fn new(values: Vec<T>, errors: Vec<(usize, JobError)>) -> ChunkResults<T> {
        let mut errors = errors.into_iter();
        ChunkResults {
            values: values.into_iter(),
            next_error: errors.next(),
            errors,
            position: 0,
        }
    }

    fn len(&self) -> usize {
        self.values.len() + self.errors.len() + usize::from(self.next_error.is_some())
    }

    /// The next result while some error is still ahead.
    #[cold]
    #[inline(never)]
    fn next_with_errors(&mut self) -> Option<Result<T, JobError>> {
        let position = self.position;
        self.position += 1;
        if matches!(&self.next_error, Some((at, _)) if *at == position) {
            let error = self.next_error.take().map(|(_, error)| Err(error));
            self.next_error = self.errors.next();
            return error;
        }
        self.values.next().map(Ok)
    }
}

impl<T> Iterator for ChunkResults<T> {
    type Item = Result<T, JobError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next_error.is_none() {
            // No error left: the rest are values, positions no longer matter.
            return self.values.next().map(Ok);
        }
        self.next_with_errors()
    }
}

/// A chunk in flight: how many inputs it took, and its ticket.
struct InFlight<T> {
    len: usize,
    ticket: Ticket<ChunkOutput<T>>,
}

/// The iterator [`ThreadPool::map`] returns: one `Result` per input, in
/// input order.
///
/// # Examples
///
/// ```
/// let pool = deli::ThreadPool::new(2).unwrap();
/// let lengths = pool
///     .map(vec!["a", "bb", "ccc"], str::len)
///     .chunk_size(1)
///     .max_in_flight(2);
/// assert_eq!(lengths.collect::<Vec<_>>(), [Ok(1), Ok(2), Ok(3)]);
/// ```
pub struct Map<'p, I, F, T> {
    pool: &'p ThreadPool,
    inputs: Option<I>,
    f: Arc<F>,
    in_flight: VecDeque<InFlight<T>>,
    max_in_flight: usize,
    /// Results of the oldest finished chunk, being handed out.
    ready: ChunkResults<T>,
    /// A chunk that failed as a whole: its error, repeated for each input.
    failed: Option<(usize, JobError)>,
    sizer: ChunkSizer,
}

impl<'p, I, F, T> Map<'p, I, F, T>
where
    I: Iterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    pub(super) fn new(pool: &'p ThreadPool, inputs: I, f: F) -> Self {
        Map {
            pool,
            inputs: Some(inputs),
            f: Arc::new(f),
            in_flight: VecDeque::new(),
            max_in_flight: 2 * pool.threads() + 2,
            ready: ChunkResults::empty(),
            failed: None,
            sizer: ChunkSizer::new(TARGET_CHUNK_NANOS, MAX_UNMEASURED_CHUNK, MAX_CHUNK),
        }
    }

    /// Puts exactly `items` inputs (at least 1) in each job instead of
    /// sizing chunks from measurements.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// let total: u64 = pool.map(0..1_000u64, |n| n).chunk_size(100).map(Result::unwrap).sum();
    /// assert_eq!(total, 499_500);
    /// ```
    pub fn chunk_size(mut self, items: usize) -> Self {
        self.sizer.fix(items);
        self
    }

    /// At most `chunks` jobs (at least 1) in flight at once; the default is
    /// two per pool thread plus two.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// let doubled: Vec<_> = pool.map(0..4, |n| n * 2).max_in_flight(1).collect();
    /// assert_eq!(doubled, [Ok(0), Ok(2), Ok(4), Ok(6)]);
    /// ```
    pub fn max_in_flight(mut self, chunks: usize) -> Self {
        self.max_in_flight = chunks.max(1);
        self
    }

    /// Runs the whole map and returns every value in input order, or the
    /// first error in input order (the chunks still in flight are then
    /// cancelled).
    ///
    /// What `collect::<Result<Vec<_>, _>>()` returns, faster, so the
    /// calling thread stays out of the pool threads' way (`pool/map_1m` in
    /// `deli-bench`: the per-item hand-over on the caller was the gap to
    /// rayon's `collect`). With inputs of known length (an exact size
    /// hint) each chunk writes its values straight into their place in the
    /// output; otherwise each finished chunk's values are moved in at once.
    /// Nobody sees a result before the end, so chunks aim at 2 ms of work
    /// instead of the iterator's 0.5 ms (fewer wake-ups of the caller).
    /// Called after some results were taken with `next`, it returns the
    /// rest.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = deli::ThreadPool::new(2).unwrap();
    /// let squares = pool.map(1..=4u64, |n| n * n).into_vec();
    /// assert_eq!(squares, Ok(vec![1, 4, 9, 16]));
    ///
    /// let failed = pool.map(0..100, |n| if n == 42 { panic!("bad item") } else { n }).into_vec();
    /// assert!(matches!(failed, Err(deli::JobError::Panicked(_))));
    /// ```
    pub fn into_vec(mut self) -> Result<Vec<T>, JobError> {
        let untouched = self.in_flight.is_empty() && self.ready.len() == 0 && self.failed.is_none();
        if untouched && self.sizer.fixed().is_none() {
            self.sizer = ChunkSizer::new(
                INTO_VEC_CHUNK_NANOS,
                MAX_UNMEASURED_CHUNK,
                INTO_VEC_MAX_CHUNK,
            );
        }
        let mut values = Vec::new();
        let (len, high) = self.size_hint();
        // A hint too large to allocate (hints may lie) takes the general
        // path, which grows the output as values come.
        let reserved = values.try_reserve_exact(len).is_ok();
        if untouched && reserved && high == Some(len) && self.inputs.is_some() {
            values = self.write_in_place(values, len)?;
        }
        // Results already taken out of the pool (by earlier `next` calls).
        for result in self.ready.by_ref() {
            values.push(result?);
        }
        if let Some((_, error)) = self.failed.take() {
            return Err(error);
        }
        loop {
            self.fill();
            let Some((_, output)) = self.wait_oldest() else {
                return Ok(values);
            };
            let mut output = output?;
            if let Some((_, error)) = output.errors.into_iter().next() {
                return Err(error);
            }
            values.append(&mut output.values);
        }
    }

    /// Submits chunks until the window is full or the inputs run out.
    fn fill(&mut self) {
        while self.in_flight.len() < self.max_in_flight {
            let Some(left) = self.inputs.as_ref().map(Iterator::size_hint) else {
                return;
            };
            let chunk = self.take_chunk(left, usize::MAX);
            if chunk.is_empty() {
                return;
            }
            let len = chunk.len();
            let f = self.f.clone();
            let ticket = self.pool.submit(move || run_chunk(chunk, &*f));
            self.in_flight.push_back(InFlight { len, ticket });
        }
    }

    /// The next chunk of inputs, at most `most` of them: as many as the
    /// sizer says, fewer near the end of inputs whose count `left` knows.
    /// Inputs that give fewer than asked have run out.
    fn take_chunk(&mut self, left: (usize, Option<usize>), most: usize) -> Vec<I::Item> {
        let Some(inputs) = self.inputs.as_mut() else {
            return Vec::new();
        };
        let size = self.sizer.next_size();
        let size = self
            .sizer
            .within_tail(size, left, self.pool.threads())
            .min(most);
        let chunk: Vec<I::Item> = inputs.by_ref().take(size).collect();
        if chunk.len() < size {
            self.inputs = None;
        }
        chunk
    }

    /// Waits for the oldest chunk in flight: its length, and its output
    /// (whose time the sizer has then seen) or why it failed as a whole;
    /// `None` when no chunk is in flight.
    fn wait_oldest(&mut self) -> Option<(usize, Result<ChunkOutput<T>, JobError>)> {
        let chunk = self.in_flight.pop_front()?;
        let output = match chunk.ticket.wait_blocking() {
            Ok(output) if output.len() == chunk.len => {
                self.sizer.observe(chunk.len, output.nanos);
                Ok(output)
            }
            // Fewer results than inputs: the chunk stopped at a cancel.
            Ok(_) => Err(JobError::Cancelled),
            Err(error) => Err(error),
        };
        Some((chunk.len, output))
    }

    /// The current chunk is used up: hand out a failed chunk's errors, or
    /// wait for the next chunk in order.
    #[cold]
    fn next_chunk(&mut self) -> Option<Result<T, JobError>> {
        loop {
            if let Some(result) = self.ready.next() {
                return Some(result);
            }
            if let Some((left, error)) = self.failed.as_mut() {
                if *left > 0 {
                    *left -= 1;
                    return Some(Err(error.clone()));
                }
                self.failed = None;
            }
            self.fill();
            match self.wait_oldest()? {
                (_, Ok(output)) => self.ready = ChunkResults::new(output.values, output.errors),
                (len, Err(error)) => self.failed = Some((len, error)),
            }
            // Keep the threads busy while the caller consumes this chunk.
            self.fill();
        }
    }
}

fn run_chunk<X, T>(chunk: Vec<X>, f: &impl Fn(X) -> T) -> ChunkOutput<T> {
    let mut values = Vec::with_capacity(chunk.len());
    let run = run_chunk_into(chunk, f, |value| values.push(value));
    ChunkOutput {
        values,
        errors: run.errors,
        nanos: run.nanos,
    }
}

/// How a chunk's run went, beside the values it handed to its sink.
struct ChunkRun {
    /// (position in the chunk, error), in position order.
    errors: Vec<(usize, JobError)>,
    nanos: u128,
}

/// Applies `f` to each item of `chunk` in order and hands each value to
/// `put`; the items that panic become errors instead (so `put` sees the
/// values with the failed items left out). Stops early when the job is
/// asked to cancel.
fn run_chunk_into<X, T>(chunk: Vec<X>, f: &impl Fn(X) -> T, mut put: impl FnMut(T)) -> ChunkRun {
    let start = Instant::now();
    let len = chunk.len();
    let mut errors = Vec::new();
    let mut items = chunk.into_iter().enumerate();
    // One `catch_unwind` per run of items rather than per item: a panic
    // ends the run, its item (already taken from the iterator) becomes an
    // error in its place, and the next run starts after it.
    loop {
        let run = catch_unwind(AssertUnwindSafe(|| {
            for (position, item) in items.by_ref() {
                if position % CANCEL_CHECK_EVERY == CANCEL_CHECK_EVERY - 1 && is_cancel_requested()
                {
                    // The whole chunk resolves Cancelled; stop computing.
                    return;
                }
                put(f(item));
            }
        }));
        match run {
            Ok(()) => break,
            Err(payload) => {
                // The item that panicked was the last one taken.
                let position = len - items.len() - 1;
                errors.push((position, JobError::from_panic(payload)));
            }
        }
    }
    ChunkRun {
        errors,
        nanos: start.elapsed().as_nanos(),
    }
}

impl<I, F, T> Iterator for Map<'_, I, F, T>
where
    I: Iterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    type Item = Result<T, JobError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self.ready.next() {
            Some(result) => Some(result),
            None => self.next_chunk(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let known = self.ready.len()
            + self.failed.as_ref().map_or(0, |(left, _)| *left)
            + self.in_flight.iter().map(|chunk| chunk.len).sum::<usize>();
        chunked_map::size_hint(known, self.inputs.as_ref())
    }
}

impl<I, F, T> Drop for Map<'_, I, F, T> {
    fn drop(&mut self) {
        for chunk in &self.in_flight {
            chunk.ticket.cancel();
        }
    }
}

impl<I, F, T> fmt::Debug for Map<'_, I, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("in_flight", &self.in_flight.len())
            .field("max_in_flight", &self.max_in_flight)
            .field("inputs_left", &self.inputs.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn chunk_results_put_errors_back_in_their_positions() {
        let error = |n: usize| JobError::Panicked(format!("item {n}").into());
        let mut results = ChunkResults::new(
            vec![1, 3, 4],
            vec![(0, error(0)), (2, error(2)), (5, error(5))],
        );
        assert_eq!(results.len(), 6);
        let all: Vec<_> = results.by_ref().collect();
        assert_eq!(
            all,
            [
                Err(error(0)),
                Ok(1),
                Err(error(2)),
                Ok(3),
                Ok(4),
                Err(error(5))
            ]
        );
        assert_eq!(results.len(), 0);
        let plain: Vec<_> = ChunkResults::new(vec![7, 8], Vec::new()).collect();
        assert_eq!(plain, [Ok(7), Ok(8)]);
    }
}
