//! `ProcessPool::map` and `ProcessPool::map_unordered`: lazy, bounded
//! parallel maps over worker processes.
//!
//! Like `ThreadPool::map`, the iterators take inputs only when they have
//! room: at most `max_in_flight` chunks are queued or running at once, so
//! a long (or endless) input never floods the queue or memory. A chunk is
//! `chunksize` items (default 1) sent to one child as one request — with
//! more than one, as a batch (see `batch`), which is how many small items
//! stop paying a frame and a round trip each. Each item's result comes
//! back at its own position: a job's error or panic fails that item only;
//! a child that dies fails the chunk it held (its items say
//! `WorkerDied`), and nothing else. Dropping an iterator cancels the
//! chunks it still has in flight.
//!
//! [`ProcessMap`] hands results out in input order (waiting for the oldest
//! chunk); [`ProcessMapUnordered`] as chunks finish, each with its input's
//! index. Uses `pool`, `batch`, `slot` and `task`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::batch::{self, BatchRequest};
use super::pool::{encode_request, ProcessPool};
use super::registry::Job;
use super::slot::{decode_postcard, JobFuture};
use crate::poison::IgnorePoison;
use crate::task::{JobError, TaskOptions, Ticket};

/// Requests the driver may write ahead to one child (see `protocol`): the
/// default window keeps that many per worker queued, plus some to spare.
const PIPELINE: usize = 32;

/// What one chunk's ticket holds: a result per item that was sent.
type ChunkResults<R> = Vec<Result<R, JobError>>;

/// A chunk on its way: where its items start in the input, how many there
/// are, the errors of items that could not even be sent (by position in
/// the chunk), and the ticket of the request for the rest.
struct Chunk<R> {
    first: usize,
    len: usize,
    unsent: Vec<(usize, JobError)>,
    ticket: Ticket<ChunkResults<R>>,
}

impl<R> Chunk<R> {
    /// The chunk's results, in order, once its ticket is done.
    fn finish(self) -> Vec<Result<R, JobError>> {
        let Chunk {
            len,
            unsent,
            ticket,
            ..
        } = self;
        let sent = len - unsent.len();
        let mut replies = match ticket.wait_blocking() {
            Ok(results) if results.len() == sent => results.into_iter(),
            Ok(results) => {
                let error = JobError::Remote(format!(
                    "the worker answered a batch of {sent} items with {} results",
                    results.len()
                ));
                return (0..len).map(|_| Err(error.clone())).collect();
            }
            // The request as a whole failed (the child died, the pool shut
            // down, the chunk was cancelled): every item of it says so.
            Err(error) => {
                return (0..len)
                    .map(
                        |position| match unsent.iter().find(|(at, _)| *at == position) {
                            Some((_, own)) => Err(own.clone()),
                            None => Err(error.clone()),
                        },
                    )
                    .collect();
            }
        };
        let mut unsent = unsent.into_iter().peekable();
        (0..len)
            .map(|position| match unsent.next_if(|(at, _)| *at == position) {
                Some((_, error)) => Err(error),
                None => replies.next().unwrap_or(Err(JobError::Cancelled)),
            })
            .collect()
    }
}

/// Decodes a one-item chunk's reply.
fn decode_one<R: DeserializeOwned>(bytes: Vec<u8>) -> Result<ChunkResults<R>, JobError> {
    Ok(vec![decode_postcard(bytes)])
}

/// Decodes a batch's reply into its items' results.
fn decode_batch<R: DeserializeOwned>(bytes: Vec<u8>) -> Result<ChunkResults<R>, JobError> {
    let results = batch::decode_results(&bytes).ok_or_else(|| {
        JobError::Remote("the worker answered a batch with a malformed value".to_owned())
    })?;
    Ok(results
        .into_iter()
        .map(|result| result.and_then(decode_postcard))
        .collect())
}

/// What both iterators share: the inputs, the settings, submitting chunks.
struct Feeder<'p, A, R, I> {
    pool: &'p ProcessPool,
    job: Job<A, R>,
    inputs: Option<I>,
    /// How many inputs have been taken.
    taken: usize,
    chunksize: usize,
    max_in_flight: usize,
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
        W: FnOnce(JobFuture<ChunkResults<R>>) -> F,
        F: Future<Output = Result<ChunkResults<R>, JobError>> + Send + 'static,
    {
        let inputs = self.inputs.as_mut()?;
        let first = self.taken;
        if self.chunksize == 1 {
            let Some(arguments) = inputs.next() else {
                self.inputs = None;
                return None;
            };
            self.taken += 1;
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
            });
        }
        let mut batch = BatchRequest::new(self.job.name()).ok();
        let mut unsent = Vec::new();
        let mut len = 0;
        for arguments in inputs.by_ref().take(self.chunksize) {
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
        }
        if len < self.chunksize {
            self.inputs = None;
        }
        if len == 0 {
            return None;
        }
        self.taken += len;
        let ticket = match batch {
            Some(batch) if batch.items() > 0 => {
                self.pool
                    .submit_request(
                        batch.into_request(),
                        decode_batch::<R>,
                        None,
                        self.options.clone(),
                        wrap,
                    )
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
        })
    }

    /// How many chunks to submit now, with `in_flight` out: the window is
    /// topped up once it is down to half (or empty), not after every
    /// chunk. Submitting in bursts wakes the pool's drivers once per burst
    /// instead of once per item, which for one-item chunks was most of the
    /// cost (`deli-bench -- process`, tiny-map: 3.2× the time of a
    /// `submit` loop when refilled one chunk at a time).
    fn room(&self, in_flight: usize) -> usize {
        if self.inputs.is_some() && in_flight <= self.max_in_flight / 2 {
            self.max_in_flight - in_flight
        } else {
            0
        }
    }

    fn set_chunksize(&mut self, items: usize) {
        self.chunksize = items.max(1);
        self.max_in_flight = default_window(self.pool.workers(), self.chunksize);
    }

    fn set_max_in_flight(&mut self, chunks: usize) {
        self.max_in_flight = chunks.max(1);
    }

    fn size_hint(&self, known: usize) -> (usize, Option<usize>) {
        match &self.inputs {
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
}

impl<A, R, I> Feeder<'_, A, R, I> {
    /// `Debug` for the iterator `name` with `in_flight` chunks out.
    fn debug(&self, f: &mut fmt::Formatter<'_>, name: &str, in_flight: usize) -> fmt::Result {
        f.debug_struct(name)
            .field("chunksize", &self.chunksize)
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

impl<'p, A, R, I> ProcessMap<'p, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    pub(super) fn new(
        pool: &'p ProcessPool,
        job: Job<A, R>,
        inputs: I,
        options: TaskOptions,
    ) -> Self {
        ProcessMap {
            feeder: Feeder {
                pool,
                job,
                inputs: Some(inputs),
                taken: 0,
                chunksize: 1,
                max_in_flight: default_window(pool.workers(), 1),
                options,
            },
            in_flight: VecDeque::new(),
            ready: Vec::new().into_iter(),
        }
    }

    crate::setters::setters! {
        /// Sends `items` inputs (at least 1) to a child in one request. Worth
        /// it for many small items: Python's `chunksize`. A child that dies
        /// fails its whole chunk, so keep chunks of slow or crashing jobs
        /// small. The window shrinks to match unless
        /// [`max_in_flight`](ProcessMap::max_in_flight) was set.
        ///
        /// # Examples
        ///
        /// ```
        /// #[deli::job]
        /// fn inc(n: u32) -> u32 {
        ///     n + 1
        /// }
        ///
        /// fn main() {
        ///     deli::process::init();
        ///     let pool = deli::ProcessPool::new(2).unwrap();
        ///     let total: u32 = pool.map(inc, 0..1_000).chunksize(100).map(Result::unwrap).sum();
        ///     assert_eq!(total, 500_500);
        /// }
        /// ```
        pub fn chunksize(mut self, items: usize) => self.feeder.set_chunksize(items);
    }

    crate::setters::setters! {
        /// At most `chunks` requests (at least 1) queued or running at once.
        /// The default keeps every child's pipeline full: about 136 per
        /// worker for single items, fewer for bigger chunks. The window is
        /// topped up in bursts, when half of it has come back.
        ///
        /// # Examples
        ///
        /// ```
        /// #[deli::job]
        /// fn echo(n: u8) -> u8 {
        ///     n
        /// }
        ///
        /// fn main() {
        ///     deli::process::init();
        ///     let pool = deli::ProcessPool::new(1).unwrap();
        ///     let all: Vec<_> = pool.map(echo, [1, 2, 3]).max_in_flight(1).collect();
        ///     assert_eq!(all, [Ok(1), Ok(2), Ok(3)]);
        /// }
        /// ```
        pub fn max_in_flight(mut self, chunks: usize) => self.feeder.set_max_in_flight(chunks);
    }

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
            self.ready = chunk.finish().into_iter();
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

impl<'p, A, R, I> ProcessMapUnordered<'p, A, R, I>
where
    A: Serialize,
    R: DeserializeOwned + Send + 'static,
    I: Iterator<Item = A>,
{
    pub(super) fn new(
        pool: &'p ProcessPool,
        job: Job<A, R>,
        inputs: I,
        options: TaskOptions,
    ) -> Self {
        ProcessMapUnordered {
            feeder: Feeder {
                pool,
                job,
                inputs: Some(inputs),
                taken: 0,
                chunksize: 1,
                max_in_flight: default_window(pool.workers(), 1),
                options,
            },
            in_flight: HashMap::new(),
            next_key: 0,
            finished: Arc::default(),
            ready: (0..).zip(Vec::new()),
        }
    }

    crate::setters::setters! {
        /// Inputs per request, as [`ProcessMap::chunksize`]. A chunk's results
        /// come out together, when its last item is done.
        ///
        /// # Examples
        ///
        /// ```
        /// #[deli::job]
        /// fn double(n: u64) -> u64 {
        ///     2 * n
        /// }
        ///
        /// fn main() {
        ///     deli::process::init();
        ///     let pool = deli::ProcessPool::new(2).unwrap();
        ///     let total: u64 = pool
        ///         .map_unordered(double, 0..100)
        ///         .chunksize(10)
        ///         .map(|(_, result)| result.unwrap())
        ///         .sum();
        ///     assert_eq!(total, 9_900);
        /// }
        /// ```
        pub fn chunksize(mut self, items: usize) => self.feeder.set_chunksize(items);
    }

    crate::setters::setters! {
        /// At most `chunks` requests (at least 1) queued or running at once,
        /// as [`ProcessMap::max_in_flight`].
        ///
        /// # Examples
        ///
        /// ```
        /// #[deli::job]
        /// fn negate(n: i16) -> i16 {
        ///     -n
        /// }
        ///
        /// fn main() {
        ///     deli::process::init();
        ///     let pool = deli::ProcessPool::new(2).unwrap();
        ///     let one_at_a_time = pool.map_unordered(negate, [7]).max_in_flight(1);
        ///     assert_eq!(one_at_a_time.collect::<Vec<_>>(), [(0, Ok(-7))]);
        /// }
        /// ```
        pub fn max_in_flight(mut self, chunks: usize) => self.feeder.set_max_in_flight(chunks);
    }

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
            self.ready = (first..).zip(chunk.finish());
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
