//! The readiness of one registration: an atomic word and two waker slots.
//!
//! The word holds the readiness bits the driver has seen (readable, writable,
//! read-closed, write-closed, error), a shutdown bit, and a tick that the
//! driver bumps with every event. A task that finds its side ready pays one
//! atomic load; only a task that must wait takes the small waiter lock.
//!
//! The reader slot and the writer slot hold one `Waker` each: one task may
//! wait to read while another waits to write (a socket split in halves), but
//! a second reader replaces the first reader's waker.
//!
//! Lost wake-ups are excluded by ordering: the driver records readiness in the
//! word *before* it takes wakers under the lock, and a waiting task stores its
//! waker under the lock *before* it looks at the word again.
//!
//! Uses only `crate::loom` and `std`; modelled in `io/loom_tests.rs`.

use std::io;
use std::ops::{BitAnd, BitOr};
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::Mutex;

use super::error::ReactorError;
use crate::poison::IgnorePoison;

/// A set of readiness flags, as reported by the operating system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Ready(usize);

impl Ready {
    pub(super) const EMPTY: Ready = Ready(0);
    pub(super) const READABLE: Ready = Ready(1 << 0);
    pub(super) const WRITABLE: Ready = Ready(1 << 1);
    pub(super) const READ_CLOSED: Ready = Ready(1 << 2);
    pub(super) const WRITE_CLOSED: Ready = Ready(1 << 3);
    pub(super) const ERROR: Ready = Ready(1 << 4);

    /// Flags that an operation returning `WouldBlock` disproves. The closed
    /// flags are final states and stay set once seen.
    const CLEARABLE: Ready = Ready(Self::READABLE.0 | Self::WRITABLE.0 | Self::ERROR.0);

    pub(super) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

/// Bits of the word above the readiness flags.
const READY_MASK: usize = 0b1_1111;
const SHUTDOWN: usize = 1 << 5;
const TICK_SHIFT: u32 = 8;
const TICK_ONE: usize = 1 << TICK_SHIFT;

/// Which half of a registration a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The flags that let an operation of this direction make progress.
    /// An error concerns both directions, so it wakes both.
    fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED | Ready::ERROR,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR,
        }
    }
}

/// What a task observed before it ran an operation: the flags of its
/// direction and the tick they were recorded at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ReadyEvent {
    pub(super) ready: Ready,
    tick: usize,
}

/// Readiness state shared by a registration and the driver.
#[derive(Debug)]
pub(super) struct Readiness {
    word: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl Waiters {
    fn slot(&mut self, direction: Direction) -> &mut Option<Waker> {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}

impl Readiness {
    /// Nothing is ready until the driver says so: an edge-triggered
    /// registration reports the current state as its first event.
    pub(super) fn new() -> Readiness {
        Readiness {
            word: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Records an event from the driver and moves the wakers it concerns
    /// into `wakers`. The caller wakes them once it holds no lock.
    pub(super) fn set_ready(&self, ready: Ready, wakers: &mut Vec<Waker>) {
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            let next = (current | (ready.0 & READY_MASK)).wrapping_add(TICK_ONE);
            match self.word.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        let wake_reader = !(ready & Direction::Read.mask()).is_empty();
        let wake_writer = !(ready & Direction::Write.mask()).is_empty();
        if wake_reader || wake_writer {
            self.with_waiters(|waiters| {
                if wake_reader {
                    wakers.extend(waiters.reader.take());
                }
                if wake_writer {
                    wakers.extend(waiters.writer.take());
                }
            });
        }
    }

    /// Makes every present and future wait fail, and hands out both wakers.
    pub(super) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        self.word.fetch_or(SHUTDOWN, Ordering::AcqRel);
        self.with_waiters(|waiters| {
            wakers.extend(waiters.reader.take());
            wakers.extend(waiters.writer.take());
        });
    }

    /// Ready with what was observed if `direction` can make progress, an
    /// error after shutdown, otherwise Pending with the task's waker stored.
    pub(super) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(result) = self.ready_now(direction) {
            return Poll::Ready(result);
        }
        // A replaced waker is dropped only after the lock is released: its
        // drop may free a task whose own registration then needs locks.
        let (_replaced, result) = self.with_waiters(|waiters| {
            let slot = waiters.slot(direction);
            let replaced = match slot {
                Some(stored) if stored.will_wake(cx.waker()) => None,
                _ => slot.replace(cx.waker().clone()),
            };
            // The driver sets the word before it takes wakers under this
            // lock, so either it saw our waker or we see its readiness.
            (replaced, self.ready_now(direction))
        });
        match result {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }

    /// Forgets the readiness in `event` after an operation returned
    /// `WouldBlock`, unless an event arrived since it was observed.
    pub(super) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = (event.ready & Ready::CLEARABLE).0;
        let mut current = self.word.load(Ordering::Acquire);
        loop {
            if current >> TICK_SHIFT != event.tick || current & clear == 0 {
                return;
            }
            match self.word.compare_exchange_weak(
                current,
                current & !clear,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    fn ready_now(&self, direction: Direction) -> Option<io::Result<ReadyEvent>> {
        let word = self.word.load(Ordering::Acquire);
        if word & SHUTDOWN != 0 {
            return Some(Err(ReactorError::Shutdown.into()));
        }
        let ready = Ready(word) & direction.mask();
        if ready.is_empty() {
            return None;
        }
        Some(Ok(ReadyEvent {
            ready,
            tick: word >> TICK_SHIFT,
        }))
    }

    fn with_waiters<R>(&self, f: impl FnOnce(&mut Waiters) -> R) -> R {
        // Under this lock only `Option<Waker>`s move, so a poisoned lock
        // (a panicking `Waker::clone`) still holds valid state.
        let mut waiters = self.waiters.lock().ignore_poison();
        f(&mut waiters)
    }
}
