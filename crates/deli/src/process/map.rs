//! `ProcessPool::map` and `ProcessPool::map_unordered`: lazy, bounded
//! parallel maps over worker processes.
//!
//! Like `ThreadPool::map`, the iterators take inputs only when they have
//! room: at most `max_in_flight` chunks are queued or running at once, so
//! a long (or endless) input never floods the queue or memory. A chunk is
//! a run of items sent to one child as one request — as a batch (see
//! `batch`), which is how many small items stop paying a frame and a round
//! trip each. By default chunk sizes follow the child's measured time per
//! item (`crate::chunked_map`): one item at a time until a first batch has
//! come back, then as many as make about [`TARGET_CHUNK_NANOS`] of work,
//! so cheap items travel thousands to a request and slow ones one by one.
//! `chunksize(n)` fixes the size instead; `chunksize(1)` sends plain
//! one-item requests. Each item's result comes back at its own position:
//! a job's error or panic fails that item only. A child that dies (or a
//! request past its timeout) fails the chunk it held when its size was
//! fixed; an automatic chunk of several items is sent again one item per
//! request, so in the end only the item that kills its child says
//! `WorkerDied` — and the items that ran before it in that chunk run
//! twice. Dropping an iterator cancels the chunks it still has in flight.
//!
//! [`ProcessMap`] hands results out in input order (waiting for the oldest
//! chunk); [`ProcessMapUnordered`] as chunks finish, each with its input's
//! index. Uses `pool`, `batch`, `slot`, `task` and `crate::chunked_map`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::batch::{self, BatchRequest, BatchResults};
use super::pool::{encode_request, ProcessPool};
use super::protocol::{parse_request, request_head};
use super::registry::Job;
use super::slot::{decode_postcard, JobFuture};
use crate::chunked_map::{self, ChunkSizer};
use crate::poison::IgnorePoison;
use crate::task::{JobError, TaskOptions, Ticket};

/// Requests the driver may write ahead to one child (see `protocol`): the
/// default window keeps that many per worker queued, plus some to spare.
const PIPELINE: usize = 32;

/// How long one chunk should keep a child busy when sizes are automatic:
/// long enough that a request's cost (a frame each way and a driver's
/// round trip, a few microseconds) is lost in it, short enough to balance
/// the children at the end (`deli-bench -- process`, tiny-map).
const TARGET_CHUNK_NANOS: f64 = 1_000_000.0;
/// No automatic chunk holds more items than this: with the window, it
/// bounds the inputs and results held at once.
const MAX_CHUNK: usize = 4_096;
/// An automatic chunk stops taking items once its request is this big
/// (or a quarter of the pool's frame limit, if that is less), so that
/// large arguments neither hold much memory nor reach the limit.
const MAX_CHUNK_BYTES: usize = 1 << 20;

/// One result per item, in order.
type Results<R> = Vec<Result<R, JobError>>;

/// What one chunk's ticket holds: a result per item that was sent, and
/// how long the child took to run them when it was a batch.
struct ChunkReply<R> {
    results: Results<R>,
    nanos: Option<u64>,
}

/// A chunk on its way: where its items start in the input, how many there
/// are, the errors of items that could not even be sent (by position in
/// the chunk), and the ticket of the request for the rest.
struct Chunk<R> {
    first: usize,
    len: usize,
    unsent: Vec<(usize, JobError)>,
    ticket: Ticket<ChunkReply<R>>,
    /// An automatic batch's request, kept to send its items again one by
    /// one if its child dies.
    retry: Option<Vec<u8>>,
}

impl<R> Chunk<R> {
    /// The chunk's results, in order, once its ticket is done, and how
    /// long the child took to run the items it was sent (when it says).
    /// A kept batch whose child died or timed out goes to `alone`, which
    /// returns a result per item of the request.
    fn finish(self, alone: impl FnOnce(&[u8]) -> Results<R>) -> (Results<R>, Option<(usize, u64)>) {
        let Chunk {
            len,
            unsent,
            ticket,
            retry,
            ..
        } = self;
        let sent = len - unsent.len();
        let every_item = |error: JobError| (0..sent).map(|_| Err(error.clone())).collect();
        let (replies, timing) = match ticket.wait_blocking() {
            Ok(reply) if reply.results.len() == sent => {
                (reply.results, reply.nanos.map(|nanos| (sent, nanos)))
            }
            Ok(reply) => {
                let error = JobError::Remote(format!(
                    "the worker answered a batch of {sent} items with {} results",
                    reply.results.len()
                ));
                (every_item(error), None)
            }
            Err(JobError::WorkerDied(_) | JobError::TimedOut) if retry.is_some() => {
                (alone(&retry.unwrap_or_default()), None)
            }
            // The request as a whole failed (the child died, the pool shut
            // down, the chunk was cancelled): every item of it says so.
            Err(error) => (every_item(error), None),
        };
        let mut replies = replies.into_iter();
        let mut unsent = unsent.into_iter().peekable();
        let results = (0..len)
            .map(|position| match unsent.next_if(|(at, _)| *at == position) {
                Some((_, error)) => Err(error),
                None => replies.next().unwrap_or(Err(JobError::Cancelled)),
            })
            .collect();
        (results, timing)
    }
}

/// Decodes a one-item chunk's reply.
fn decode_one<R: DeserializeOwned>(bytes: Vec<u8>) -> Result<ChunkReply<R>, JobError> {
    Ok(ChunkReply {
        results: vec![decode_postcard(bytes)],
        nanos: None,
    })
}

/// Decodes a batch's reply into its items' results.
fn decode_batch<R: DeserializeOwned>(bytes: Vec<u8>) -> Result<ChunkReply<R>, JobError> {
    let BatchResults { nanos, results } = batch::decode_results(&bytes).ok_or_else(|| {
        JobError::Remote("the worker answered a batch with a malformed value".to_owned())
    })?;
    Ok(ChunkReply {
        results: results
            .into_iter()
            .map(|result| result.and_then(decode_postcard))
            .collect(),
        nanos: Some(nanos),
    })
}

/// What both iterators share: the inputs, the settings, submitting chunks.
struct Feeder<'p, A, R, I> {
    pool: &'p ProcessPool,
    job: Job<A, R>,
    inputs: Option<I>,
    /// How many inputs have been taken.
    taken: usize,
    sizer: ChunkSizer,
    /// The window set by `max_in_flight`, if any.
    max_in_flight: Option<usize>,
    /// The size of the last chunk sent (for `Debug`).
    last_size: usize,
    options: TaskOptions,
}

impl<A, R, I> Feeder<'_, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    /// Takes the next chunk of inputs and submits it, its job future
    /// wrapped by `wrap`; `None` when the inputs have run out.
    fn next_chunk<W, F>(&mut self, wrap: W) -> Option<Chunk<R>>
    where
        W: FnOnce(JobFuture<ChunkReply<R>>) -> F,
        F: Future<Output = Result<ChunkReply<R>, JobError>> + Send + 'static,
    {
        let inputs = self.inputs.as_mut()?;
        let first = self.taken;
        let size = self.sizer.next_size();
        let size = self
            .sizer
            .within_tail(size, inputs.size_hint(), self.pool.workers());
        if self.sizer.fixed() == Some(1) {
            let Some(arguments) = inputs.next() else {
                self.inputs = None;
                return None;
            };
            self.taken += 1;
            self.last_size = 1;
            let ticket = match encode_request(self.job.name(), &arguments) {
                Ok(request) => {
                    self.pool
                        .submit_request(request, decode_one::<R>, None, self.options.clone(), wrap)
                        .0
                }
                Err(error) => Ticket::failed(error),
            };
            return Some(Chunk {
                first,
                len: 1,
                unsent: Vec::new(),
                ticket,
                retry: None,
            });
        }
        let automatic = self.sizer.fixed().is_none();
        let max_bytes = MAX_CHUNK_BYTES.min(self.pool.frame_limit() / 4);
        let mut batch = BatchRequest::new(self.job.name()).ok();
        let mut unsent = Vec::new();
        let mut len = 0;
        let mut exhausted = true;
        for arguments in inputs.by_ref() {
            let encoded = match batch.as_mut() {
                Some(batch) => batch.push_with(|out| {
                    postcard::to_io(&arguments, out).map(drop).map_err(|error| {
                        JobError::Remote(format!(
                            "the job's arguments could not be encoded: {error}"
                        ))
                    })
                }),
                None => Err(JobError::Remote(format!(
                    "job name too long: {}",
                    self.job.name()
                ))),
            };
            if let Err(error) = encoded {
                unsent.push((len, error));
            }
            len += 1;
            let full = automatic && batch.as_ref().is_some_and(|b| b.bytes() >= max_bytes);
            if len == size || full {
                exhausted = false;
                break;
            }
        }
        if exhausted {
            self.inputs = None;
        }
        if len == 0 {
            return None;
        }
        self.taken += len;
        self.last_size = len;
        let mut retry = None;
        let ticket = match batch {
            Some(batch) if batch.items() > 0 => {
                let request = batch.into_request();
                if automatic && len > 1 {
                    retry = Some(request.clone());
                }
                self.pool
                    .submit_request(request, decode_batch::<R>, None, self.options.clone(), wrap)
                    .0
            }
            // Nothing to send: the unsent errors are the whole chunk.
            _ => Ticket::failed(JobError::Cancelled),
        };
        Some(Chunk {
            first,
            len,
            unsent,
            ticket,
            retry,
        })
    }

    /// How many chunks to submit now, with `in_flight` out: the window is
    /// topped up once it is down to half (or empty), not after every
    /// chunk. Submitting in bursts wakes the pool's drivers once per burst
    /// instead of once per item, which for one-item chunks was most of the
    /// cost (`deli-bench -- process`, tiny-map: 3.2× the time of a
    /// `submit` loop when refilled one chunk at a time).
    fn room(&self, in_flight: usize) -> usize {
        let window = self.window();
        if self.inputs.is_some() && in_flight <= window / 2 {
            window - in_flight
        } else {
            0
        }
    }

    /// At most how many chunks may be out now: as set, else enough to keep
    /// every child's pipeline full at the size the next chunks will have —
    /// but only two per child until a first batch says how long an item
    /// takes, so that cheap items do not queue up one per request
    /// meanwhile.
    fn window(&self) -> usize {
        let workers = self.pool.workers().max(1);
        match self.max_in_flight {
            Some(chunks) => chunks,
            None if self.sizer.is_measuring() => 2 * workers,
            None => default_window(workers, self.sizer.size_now()),
        }
    }

    /// A chunk's results, its timing noted for the next sizes.
    fn finish(&mut self, chunk: Chunk<R>) -> Results<R> {
        let (results, timing) = chunk.finish(|request| self.alone(request));
        if let Some((items, nanos)) = timing {
            self.sizer.observe(items, u128::from(nanos));
        }
        results
    }

    /// Sends a failed batch request's items again, one per request, and
    /// waits for them: a result per item of the batch.
    #[cold]
    fn alone(&self, request: &[u8]) -> Results<R> {
        let items =
            parse_request(request).and_then(|(_, arguments)| batch::parse_arguments(arguments));
        let Some((name, items)) = items else {
            let error = JobError::Remote("a batch could not be split to be sent again".to_owned());
            return vec![Err(error)];
        };
        // Every item is queued before the first is waited for.
        let tickets: Vec<_> = items
            .into_iter()
            .map(|item| {
                let mut request = request_head(name)?;
                request.extend_from_slice(item);
                let (ticket, _) = self.pool.submit_request(
                    request,
                    decode_one::<R>,
                    None,
                    self.options.clone(),
                    |future| future,
                );
                Ok(ticket)
            })
            .collect();
        tickets
            .into_iter()
            .map(|ticket: Result<Ticket<ChunkReply<R>>, JobError>| {
                let reply = ticket?.wait_blocking()?;
                reply
                    .results
                    .into_iter()
                    .next()
                    .unwrap_or(Err(JobError::Cancelled))
            })
            .collect()
    }

    fn size_hint(&self, known: usize) -> (usize, Option<usize>) {
        chunked_map::size_hint(known, self.inputs.as_ref())
    }
}

impl<'p, A, R, I> Feeder<'p, A, R, I> {
    fn new(pool: &'p ProcessPool, job: Job<A, R>, inputs: I, options: TaskOptions) -> Self {
        Feeder {
            pool,
            job,
            inputs: Some(inputs),
            taken: 0,
            // One item at a time until a batch has been measured: a slow
            // item never waits behind others in an unmeasured chunk.
            sizer: ChunkSizer::new(TARGET_CHUNK_NANOS, 1, MAX_CHUNK),
            max_in_flight: None,
            last_size: 1,
            options,
        }
    }

    fn set_chunksize(&mut self, items: usize) {
        self.sizer.fix(items);
        self.last_size = items.max(1);
    }

    fn set_max_in_flight(&mut self, chunks: usize) {
        self.max_in_flight = Some(chunks.max(1));
    }

    /// `Debug` for the iterator `name` with `in_flight` chunks out.
    fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str, in_flight: usize) -> fmt::Result {
        f.debug_struct(name)
            .field("chunksize", &self.sizer.fixed())
            .field("last_chunk", &self.last_size)
            .field("in_flight", &in_flight)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

/// The iterator [`ProcessPool::map`] returns: one `Result` per input, in
/// input order.
///
/// # Examples
///
/// ```
/// #[deli::job]
/// fn square(n: u64) -> u64 {
///     n * n
/// }
///
/// fn main() {
///     deli::process::init();
///     let pool = deli::ProcessPool::new(2).unwrap();
///     let squares: Vec<_> = pool.map(square, 1..=4).chunksize(2).max_in_flight(2).collect();
///     assert_eq!(squares, [Ok(1), Ok(4), Ok(9), Ok(16)]);
/// }
/// ```
pub struct ProcessMap<'p, A, R, I> {
    feeder: Feeder<'p, A, R, I>,
    in_flight: VecDeque<Chunk<R>>,
    ready: std::vec::IntoIter<Result<R, JobError>>,
}

impl<A, R, I> ProcessMap<'_, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    fn fill(&mut self) {
        for _ in 0..self.feeder.room(self.in_flight.len()) {
            match self.feeder.next_chunk(|future| future) {
                Some(chunk) => self.in_flight.push_back(chunk),
                None => return,
            }
        }
    }

    #[cold]
    fn next_chunk(&mut self) -> Option<Result<R, JobError>> {
        loop {
            if let Some(result) = self.ready.next() {
                return Some(result);
            }
            self.fill();
            let chunk = self.in_flight.pop_front()?;
            yield_until(|| chunk.ticket.is_done());
            self.ready = self.feeder.finish(chunk).into_iter();
            // Keep the children busy while the caller takes these.
            self.fill();
        }
    }
}

impl<A, R, I> Iterator for ProcessMap<'_, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    type Item = Result<R, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.ready.next() {
            Some(result) => Some(result),
            None => self.next_chunk(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let known = self.ready.len() + self.in_flight.iter().map(|c| c.len).sum::<usize>();
        self.feeder.size_hint(known)
    }
}

impl<A, R, I> Drop for ProcessMap<'_, A, R, I> {
    fn drop(&mut self) {
        cancel_all(&self.in_flight);
    }
}

impl<A, R, I> fmt::Debug for ProcessMap<'_, A, R, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.feeder.debug(f, "ProcessMap", self.in_flight.len())
    }
}

/// What both iterators have alike: `new` (each type brings its fields
/// besides the feeder) and the two settings (each type brings the lines of
/// its own examples, which run in `main` with a pool of two and a job).
macro_rules! map_settings {
    (
        $map:ident { $($field:ident: $init:expr),* },
        chunksize: $chunk_example:literal,
        max_in_flight: $window_example:literal
    ) => {
        impl<'p, A, R, I> $map<'p, A, R, I> {
            pub(super) fn new(
                pool: &'p ProcessPool,
                job: Job<A, R>,
                inputs: I,
                options: TaskOptions,
            ) -> Self {
                $map {
                    feeder: Feeder::new(pool, job, inputs, options),
                    $($field: $init),*
                }
            }
        }

        map_settings!(@ $map, $chunk_example, $window_example, "```
#[deli::job]
fn triple(n: u64) -> u64 {
    3 * n
}

fn main() {
    deli::process::init();
    let pool = deli::ProcessPool::new(2).unwrap();
    ");
    };
    (@ $map:ident, $chunk_example:literal, $window_example:literal, $head:literal) => {
        impl<A, R, I> $map<'_, A, R, I> {
            /// Sends exactly `items` inputs (at least 1) to a child per
            /// request (Python's `chunksize`) instead of sizing chunks from
            /// the child's measured time per item, which is the default. A
            /// child that dies fails its whole chunk: `chunksize(1)` keeps
            /// each item on its own, for jobs that may crash their process.
            /// A chunk's results come out together, when its last item is
            /// done. The window follows the size unless `max_in_flight` was
            /// set.
            ///
            /// # Examples
            ///
            #[doc = concat!($head, $chunk_example, "\n}\n```")]
            pub fn chunksize(mut self, items: usize) -> Self {
                self.feeder.set_chunksize(items);
                self
            }

            /// At most `chunks` requests (at least 1) queued or running at
            /// once. The default is two per worker until the first chunk
            /// comes back measured, then enough to keep every child's
            /// pipeline full: 520 per worker for one-item chunks, down to 10
            /// for big ones. The window is topped up in bursts, when half of
            /// it has come back.
            ///
            /// # Examples
            ///
            #[doc = concat!($head, $window_example, "\n}\n```")]
            pub fn max_in_flight(mut self, chunks: usize) -> Self {
                self.feeder.set_max_in_flight(chunks);
                self
            }
        }
    };
}

map_settings!(
    ProcessMap {
        in_flight: VecDeque::new(),
        ready: Vec::new().into_iter()
    },
    chunksize: "let total: u64 = pool.map(triple, 0..1_000).chunksize(100).map(Result::unwrap).sum();
    assert_eq!(total, 1_498_500);",
    max_in_flight: "let all: Vec<_> = pool.map(triple, [1, 2, 3]).max_in_flight(1).collect();
    assert_eq!(all, [Ok(3), Ok(6), Ok(9)]);"
);

map_settings!(
    ProcessMapUnordered {
        in_flight: HashMap::new(),
        next_key: 0,
        finished: Arc::default(),
        ready: (0..).zip(Vec::new())
    },
    chunksize: "let mut all: Vec<_> = pool.map_unordered(triple, 0..10).chunksize(5).collect();
    all.sort_by_key(|(index, _)| *index);
    assert_eq!(all[9], (9, Ok(27)));",
    max_in_flight: "let one_at_a_time = pool.map_unordered(triple, [7]).max_in_flight(1);
    assert_eq!(one_at_a_time.collect::<Vec<_>>(), [(0, Ok(21))]);"
);

/// What dropping either iterator does: cancels the chunks still out.
fn cancel_all<'c, R: 'c>(chunks: impl IntoIterator<Item = &'c Chunk<R>>) {
    for chunk in chunks {
        chunk.ticket.cancel();
    }
}

/// Before blocking for a result, gives the processor to the pool's
/// threads a few times (a result is usually microseconds away when items
/// are tiny): blocking and being woken per item cost more than the item
/// on a busy machine (`deli-bench -- process`, tiny-map).
fn yield_until(mut done: impl FnMut() -> bool) {
    for _ in 0..YIELDS_BEFORE_BLOCKING {
        if done() {
            return;
        }
        std::thread::yield_now();
    }
}

/// How many times [`yield_until`] yields before the caller blocks.
const YIELDS_BEFORE_BLOCKING: usize = 32;

/// The window that keeps `workers` children's pipelines full.
fn default_window(workers: usize, chunksize: usize) -> usize {
    let per_worker = (16 * PIPELINE / chunksize).max(2) + 8;
    workers.max(1).saturating_mul(per_worker)
}

/// Chunk numbers that have finished, for [`ProcessMapUnordered`].
#[derive(Default)]
struct Finished {
    keys: Mutex<VecDeque<u64>>,
    ready: Condvar,
}

/// Wraps a chunk's job future: when the future goes — finished,
/// cancelled or dropped at shutdown — its chunk number is reported.
struct Report<F> {
    future: F,
    key: u64,
    finished: Arc<Finished>,
}

impl<F: Future + Unpin> Future for Report<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        Pin::new(&mut self.future).poll(cx)
    }
}

impl<F> Drop for Report<F> {
    fn drop(&mut self) {
        self.finished
            .keys
            .lock()
            .ignore_poison()
            .push_back(self.key);
        self.finished.ready.notify_one();
    }
}

/// The iterator [`ProcessPool::map_unordered`] returns: `(index, result)`
/// per input, as the chunks finish (Python's `imap_unordered`, with the
/// input's index beside each result).
///
/// # Examples
///
/// ```
/// #[deli::job]
/// fn nap(millis: u64) -> u64 {
///     std::thread::sleep(std::time::Duration::from_millis(millis));
///     millis
/// }
///
/// fn main() {
///     deli::process::init();
///     let pool = deli::ProcessPool::new(2).unwrap();
///     // The short naps come back while the long one still runs.
///     let mut done: Vec<_> = pool.map_unordered(nap, [300, 1, 2]).collect();
///     done.sort_by_key(|(index, _)| *index);
///     assert_eq!(done, [(0, Ok(300)), (1, Ok(1)), (2, Ok(2))]);
/// }
/// ```
pub struct ProcessMapUnordered<'p, A, R, I> {
    feeder: Feeder<'p, A, R, I>,
    in_flight: HashMap<u64, Chunk<R>>,
    next_key: u64,
    finished: Arc<Finished>,
    ready: std::iter::Zip<std::ops::RangeFrom<usize>, std::vec::IntoIter<Result<R, JobError>>>,
}

impl<A, R, I> ProcessMapUnordered<'_, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    fn fill(&mut self) {
        for _ in 0..self.feeder.room(self.in_flight.len()) {
            let key = self.next_key;
            let finished = self.finished.clone();
            let chunk = self.feeder.next_chunk(move |future| Report {
                future,
                key,
                finished,
            });
            match chunk {
                Some(chunk) => {
                    if chunk.ticket.is_done() {
                        // Failed before it was queued (no report will come).
                        self.finished.keys.lock().ignore_poison().push_back(key);
                    }
                    self.next_key += 1;
                    self.in_flight.insert(key, chunk);
                }
                None => return,
            }
        }
    }

    /// Waits for the next chunk to finish; `None` when none is left.
    fn wait_finished(&mut self) -> Option<Chunk<R>> {
        if !self.in_flight.is_empty() {
            yield_until(|| !self.finished.keys.lock().ignore_poison().is_empty());
        }
        let mut keys = self.finished.keys.lock().ignore_poison();
        loop {
            if self.in_flight.is_empty() {
                return None;
            }
            while let Some(key) = keys.pop_front() {
                // A key may be reported twice (a chunk that failed at once
                // and whose future was dropped too): the first one counts.
                if let Some(chunk) = self.in_flight.remove(&key) {
                    return Some(chunk);
                }
            }
            keys = self.finished.ready.wait(keys).ignore_poison();
        }
    }
}

impl<A, R, I> Iterator for ProcessMapUnordered<'_, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    type Item = (usize, Result<R, JobError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(result) = self.ready.next() {
                return Some(result);
            }
            self.fill();
            let chunk = self.wait_finished()?;
            let first = chunk.first;
            self.ready = (first..).zip(self.feeder.finish(chunk));
            self.fill();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let known =
            self.ready.size_hint().0 + self.in_flight.values().map(|c| c.len).sum::<usize>();
        self.feeder.size_hint(known)
    }
}

impl<A, R, I> Drop for ProcessMapUnordered<'_, A, R, I> {
    fn drop(&mut self) {
        cancel_all(self.in_flight.values());
    }
}

impl<A, R, I> fmt::Debug for ProcessMapUnordered<'_, A, R, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.feeder
            .debug(f, "ProcessMapUnordered", self.in_flight.len())
    }
}
