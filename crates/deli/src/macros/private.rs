//! What the combinator macros' expansions call, through `deli::__private`.
//! Not part of deli's public API: names and signatures may change.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One future of a `join!`: running, finished with its output kept, or
/// emptied once the output was taken.
#[derive(Debug)]
pub enum MaybeDone<F: Future> {
    /// Still running.
    Running(F),
    /// Finished; the output waits to be taken.
    Done(F::Output),
    /// The output was taken.
    Taken,
}

impl<F: Future> MaybeDone<F> {
    /// A future that has not been polled yet.
    pub fn new(future: F) -> Self {
        MaybeDone::Running(future)
    }

    /// Polls the future if it is still running; whether it has finished.
    pub fn poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        // SAFETY: the future inside `Running` is never moved: it is polled
        // through a pin made here, and dropped in place when `set` below
        // replaces the whole value.
        let running = match unsafe { self.as_mut().get_unchecked_mut() } {
            MaybeDone::Running(future) => {
                // SAFETY: `future` is structurally pinned, see above.
                unsafe { Pin::new_unchecked(future) }
            }
            MaybeDone::Done(_) | MaybeDone::Taken => return true,
        };
        match running.poll(cx) {
            Poll::Ready(output) => {
                self.set(MaybeDone::Done(output));
                true
            }
            Poll::Pending => false,
        }
    }

    /// Takes the output of a finished future.
    ///
    /// # Panics
    ///
    /// If it has not finished or was taken already: the macros call this
    /// once per future, after `poll_done` said every one had finished.
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        // SAFETY: only a `Done` value is moved out, and the output is not
        // structurally pinned (nothing ever pins it); a `Running` future is
        // left where it is.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            MaybeDone::Done(_) => match std::mem::replace(this, MaybeDone::Taken) {
                MaybeDone::Done(output) => output,
                _ => unreachable!("matched `Done` just above"),
            },
            _ => unreachable!("deli::join!: output taken before the future finished"),
        }
    }
}

impl<F, T, E> MaybeDone<F>
where
    F: Future<Output = Result<T, E>>,
{
    /// Polls like [`poll_done`](Self::poll_done), but a finished future's
    /// `Err` is taken and returned at once.
    pub fn try_poll_done(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Result<bool, E> {
        if !self.as_mut().poll_done(cx) {
            return Ok(false);
        }
        if matches!(&*self, MaybeDone::Done(Err(_))) {
            self.take_output()?;
        }
        Ok(true)
    }

    /// Takes the `Ok` value of a finished future.
    ///
    /// # Panics
    ///
    /// As [`take_output`](Self::take_output), or if the output was an
    /// `Err` (which `try_poll_done` already returned).
    pub fn take_ok(self: Pin<&mut Self>) -> T {
        match self.take_output() {
            Ok(value) => value,
            Err(_) => unreachable!("deli::try_join!: an error is returned when it is polled"),
        }
    }
}

thread_local! {
    /// xorshift64 state; never zero.
    static RNG: Cell<u64> = Cell::new(RandomState::new().hash_one(0u8) | 1);
}

/// The branch a fair `select!` with `branches` branches polls first: a
/// cheap per-thread xorshift, uniform enough to keep any branch from
/// starving the others.
pub fn select_start(branches: usize) -> usize {
    let next = RNG.with(|rng| {
        let mut x = rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rng.set(x);
        x
    });
    // `branches` is at most 64 (the macro checks), so the cast is exact.
    (next % branches.max(1) as u64) as usize
}

/// Called when every branch of a `select!` without `else` is disabled.
///
/// # Panics
///
/// Always: the calling code left `select!` nothing to wait for.
#[cold]
pub fn all_select_branches_disabled() -> ! {
    panic!(
        "deli::select!: every branch is disabled (preconditions false or patterns not \
         matched) and there is no `else` branch"
    )
}
