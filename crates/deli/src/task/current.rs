//! Which task this thread is polling right now, so that code running inside
//! a task can ask about it (has a cancel been requested?) without a handle.
//!
//! While tracing, the same word also carries a note that the poll is a
//! yield (`yield_now`), so the trace shows the task Ready at the poll's end
//! instead of Waiting for the moment it takes to be queued again.

use std::cell::Cell;
use std::ptr;

use super::header::Header;
use crate::current_slot;

thread_local! {
    /// The header of the task being polled; its lowest bit (a header is
    /// aligned to more than 1) says the poll noted a yield.
    static POLLING: Cell<*const Header> = const { Cell::new(ptr::null()) };
}

const YIELD_NOTED: usize = 1;

/// Runs one poll of the task behind `header`, marked as this thread's
/// current task (restoring the previous mark after: polls nest when a task
/// blocks on another executor). Also says whether the poll noted a yield.
pub(crate) fn polling<R>(header: &Header, poll: impl FnOnce() -> R) -> (R, bool) {
    with_polling(header, poll)
}

/// Notes that the current poll yields (the task woke itself to be queued
/// behind the others). Only the trace reads it.
pub(crate) fn note_yield() {
    let _ = POLLING.try_with(|current| {
        let header = current.get();
        if !header.is_null() {
            current.set(header.map_addr(|address| address | YIELD_NOTED));
        }
    });
}

fn header_of(mark: *const Header) -> *const Header {
    mark.map_addr(|address| address & !YIELD_NOTED)
}

/// Whether the task (or job) this code runs in has been asked to cancel.
///
/// Long-running work — a closure on a pool, a blocking call, an async task
/// between awaits — can call this now and then and stop early. Outside any
/// task it is `false`.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let ticket = deli::spawn_blocking(|| {
///         let mut steps = 0u64;
///         while !deli::task::is_cancel_requested() && steps < 10_000_000 {
///             steps += 1;
///         }
///         steps
///     });
///     ticket.cancel();
///     // A cancelled closure's ticket says so, whatever it returned.
///     assert_eq!(ticket.await, Err(deli::JobError::Cancelled));
/// });
/// assert!(!deli::task::is_cancel_requested());
/// ```
pub fn is_cancel_requested() -> bool {
    POLLING
        .try_with(|current| {
            let header = header_of(current.get());
            // SAFETY: the pointer is set by `polling` for the duration of a
            // poll of that task, whose header lives in the task cell that the
            // poll keeps alive, and is restored before `polling` returns.
            !header.is_null() && unsafe { (*header).state.is_cancel_requested() }
        })
        .unwrap_or(false)
}

/// The id of the task (or job) this thread is running, if any.
pub(crate) fn current_id() -> Option<super::TaskId> {
    POLLING
        .try_with(|current| {
            let header = current.get();
            // SAFETY: as in `is_cancel_requested`.
            (!header.is_null()).then(|| unsafe { (*header).id })
        })
        .ok()
        .flatten()
}

/// The task this thread is polling, captured so that work done on its
/// behalf on another thread (a stolen `join` half) answers
/// [`is_cancel_requested`] for it, not for whatever that thread runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CurrentTask(*const Header);

// SAFETY: the pointer is only dereferenced under `enter`'s contract (the
// task is alive), and `Header` is `Sync`.
unsafe impl Send for CurrentTask {}

impl CurrentTask {
    pub(crate) fn capture() -> CurrentTask {
        CurrentTask(header_of(
            POLLING.try_with(Cell::get).unwrap_or(ptr::null()),
        ))
    }

    /// Runs `work` as if inside the captured task's poll.
    ///
    /// # Safety
    ///
    /// The captured task's poll must still be running (so its header is
    /// alive) for as long as `work` runs: its thread waits for `work`.
    pub(crate) unsafe fn enter<R>(self, work: impl FnOnce() -> R) -> R {
        with_polling(self.0, work).0
    }
}

fn with_polling<R>(header: *const Header, work: impl FnOnce() -> R) -> (R, bool) {
    let (output, mark) = current_slot::with_pointer(&POLLING, header, work);
    (output, mark.addr() & YIELD_NOTED != 0)
}
