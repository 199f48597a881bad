//! [`Map::into_vec`](super::Map::into_vec) for inputs of known length:
//! every chunk job writes its values straight into their place in the
//! output `Vec`.
//!
//! Why: the general path hands each chunk's values to the caller, who
//! moves them into the output (a copy of every value on the calling
//! thread, and the output's first touch of its memory there too). With as
//! many pool threads as cores, the caller's share comes out of theirs:
//! `pool/map_1m` in `deli-bench` was 1.05–1.08 of rayon's `collect` with
//! that copy, 1.03–1.05 without it (before chunks grew to 2 ms). Here the
//! caller only cuts the inputs into chunks and waits, as rayon's caller
//! does.
//!
//! The output is laid out from the inputs' size hint, which must be exact
//! (`(n, Some(n))`) and small enough to allocate at once. A hint that lies is survived, not trusted: a chunk
//! never gets slots past the announced length, inputs that end early leave
//! a shorter output, and inputs that go on past it are left to the
//! general path.
//!
//! Calls its parent (`Map`, `run_chunk_into`) and `task`.

use std::collections::VecDeque;

use super::{run_chunk_into, Map};
use crate::task::{JobError, Ticket};

/// Where a chunk job writes its values: the output slot of its first
/// item.
struct Slots<T>(*mut T);

// SAFETY: a `Slots` is a place to move `T`s into from the pool thread
// that runs the chunk (`T: Send`); no two chunks get overlapping slots
// and the caller does not touch them while the chunk may run (see
// `Output`).
unsafe impl<T: Send> Send for Slots<T> {}

/// What a chunk job reports: how many values it wrote (from its first
/// slot on, with the failed items left out), the first error, and how
/// long it took.
///
/// It owns the values it wrote until the output takes them in: whoever
/// drops it drops them too. So values are never leaked, even when the
/// job's result is thrown away (a job cancelled while it ran resolves
/// `Cancelled`, and the task drops its result before the ticket
/// resolves).
struct Written<T> {
    slots: Slots<T>,
    values: usize,
    error: Option<JobError>,
    nanos: u128,
}

impl<T> Drop for Written<T> {
    fn drop(&mut self) {
        // SAFETY: this chunk wrote `values` values from `slots.0`, within
        // its own slots, and still owns them (the output takes them by
        // setting `values` to zero first); the buffer is alive, since the
        // output frees it only once every chunk's ticket has resolved,
        // and a ticket resolves after its result has been handed over or
        // dropped.
        unsafe {
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(
                self.slots.0,
                self.values,
            ));
        }
    }
}

/// A chunk on its way: its length and its ticket.
struct Placed<T> {
    len: usize,
    ticket: Ticket<Written<T>>,
}

/// The output being filled, and the chunks writing into it.
///
/// Invariant: `values` (up to its length) holds the values of every chunk
/// that finished so far, in order (chunks are awaited in order and each
/// finished one wrote all its slots); every chunk in `in_flight` may still
/// write into its own slots, so `values` must not be freed, read or grown
/// while any is there. `Drop` cancels and waits for those before the
/// memory goes, which is what makes an early return (an error, the
/// input iterator panicking) safe.
struct Output<T> {
    values: Vec<T>,
    in_flight: VecDeque<Placed<T>>,
}

impl<T> Output<T> {
    /// Waits for the oldest chunk and takes its values in: the chunk's
    /// length and time, or its error; `None` when no chunk is in flight.
    fn take_oldest(&mut self) -> Option<Result<(usize, u128), JobError>> {
        let placed = self.in_flight.pop_front()?;
        let mut written = match placed.ticket.wait_blocking() {
            Ok(written) => written,
            Err(error) => return Some(Err(error)),
        };
        if let Some(error) = written.error.take() {
            return Some(Err(error));
        }
        if written.values != placed.len {
            return Some(Err(JobError::Cancelled));
        }
        let filled = self.values.len() + std::mem::take(&mut written.values);
        // SAFETY: the chunk wrote all its slots, which follow the ones
        // already counted (see the type's invariant), and it no longer
        // owns them (`written.values` is now zero); `filled` is within
        // the capacity.
        unsafe { self.values.set_len(filled) };
        Some(Ok((placed.len, written.nanos)))
    }
}

impl<T> Drop for Output<T> {
    fn drop(&mut self) {
        for placed in &self.in_flight {
            placed.ticket.cancel();
        }
        // A ticket resolves only once its job has returned (and its
        // `Written` has dropped what it wrote, if the result was thrown
        // away), or when the job will never run: after this, nothing
        // writes into `values` or still owns any of its slots.
        for placed in self.in_flight.drain(..) {
            drop(placed.ticket.wait_blocking());
        }
    }
}

impl<I, F, T> Map<'_, I, F, T>
where
    I: Iterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    /// Runs the map with each chunk writing into `values` (empty, with
    /// room for `len` values), for `len` inputs (from their exact size
    /// hint): the values in input order, or the first error. Inputs past
    /// `len` (a hint that lied) stay in `self.inputs` for the caller to
    /// finish.
    pub(super) fn write_in_place(
        &mut self,
        values: Vec<T>,
        len: usize,
    ) -> Result<Vec<T>, JobError> {
        debug_assert!(values.is_empty() && values.capacity() >= len);
        let mut output = Output {
            values,
            in_flight: VecDeque::new(),
        };
        // Not a reference to the buffer: the chunks write through it while
        // `output` holds the `Vec`.
        let first_slot = output.values.as_mut_ptr();
        let mut placed = 0;
        loop {
            while output.in_flight.len() < self.max_in_flight && placed < len {
                let left = len - placed;
                let chunk = self.take_chunk((left, Some(left)), left);
                if chunk.is_empty() {
                    break;
                }
                let chunk_len = chunk.len();
                // SAFETY: `placed + chunk_len <= len`, within the capacity,
                // so the pointer stays inside the allocation.
                let slots = Slots(unsafe { first_slot.add(placed) });
                let f = self.f.clone();
                let ticket = self.pool.submit(move || {
                    let slots = slots;
                    let first = slots.0;
                    let mut values = 0;
                    let run = run_chunk_into(chunk, &*f, |value| {
                        // SAFETY: the chunk owns slots `0..chunk_len` from
                        // `first` (no other chunk gets them and the
                        // output waits for this job before it frees, reads
                        // or grows its buffer), and one item gives at most
                        // one value, so `values < chunk_len` here.
                        unsafe { first.add(values).write(value) };
                        values += 1;
                    });
                    Written {
                        slots,
                        values,
                        error: run.errors.into_iter().next().map(|(_, error)| error),
                        nanos: run.nanos,
                    }
                });
                output.in_flight.push_back(Placed {
                    len: chunk_len,
                    ticket,
                });
                placed += chunk_len;
            }
            match output.take_oldest() {
                Some(Ok((items, nanos))) => self.sizer.observe(items, nanos),
                Some(Err(error)) => return Err(error),
                None => return Ok(std::mem::take(&mut output.values)),
            }
        }
    }
}
