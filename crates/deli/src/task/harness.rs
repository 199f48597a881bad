//! The wrapper around a user's future inside the task cell.
//!
//! It is what turns "poll a future" into the task semantics deli promises:
//! a cancel request is honoured at the next poll (the future is dropped and
//! the result is [`JobError::Cancelled`]); an async task that would wait
//! after its scheduler shut down ends with [`JobError::Shutdown`]; a panic is caught and becomes
//! [`JobError::Panicked`] instead of unwinding into the worker; the future
//! is dropped as soon as it completes; every step is recorded in the
//! lifecycle [`State`](super::State); and when the future is gone, for any
//! reason, the owning scheduler is told to forget the task.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::current;
use super::error::JobError;
use super::header::{Header, TaskKind};
use super::state::State;
use crate::coop;
use crate::trace::Moment;

pub(crate) struct Harness<'h, F> {
    header: &'h Header,
    future: Option<F>,
}

impl<'h, F: Future> Harness<'h, F> {
    pub(crate) fn new(header: &'h Header, future: F) -> Self {
        Harness {
            header,
            future: Some(future),
        }
    }
}

impl<F> Harness<'_, F> {
    /// Drops the user's future in place, keeping a panic in its destructor
    /// from unwinding into the worker.
    fn drop_future(&mut self) -> Result<(), JobError> {
        if self.future.is_none() {
            return Ok(());
        }
        catch_unwind(AssertUnwindSafe(|| self.future = None)).map_err(JobError::from_panic)
    }
}

/// A finished task's result, as the cell stores it. When nobody takes it
/// (the ticket was dropped), the cell drops it where a panic would abort
/// the process; dropping it through this wrapper catches such a panic.
pub(crate) struct TaskOutput<T>(Option<T>);

impl<T> TaskOutput<T> {
    pub(crate) fn into_inner(mut self) -> Option<T> {
        self.0.take()
    }
}

impl<T> TaskOutput<Result<Result<T, JobError>, JobError>> {
    /// One level of `Result` less: the inner error becomes the task's.
    pub(crate) fn flatten(mut self) -> TaskOutput<Result<T, JobError>> {
        TaskOutput(self.0.take().map(|result| result.and_then(|inner| inner)))
    }
}

impl<T> Drop for TaskOutput<T> {
    fn drop(&mut self) {
        if let Some(output) = self.0.take() {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(output))) {
                // Its message has nowhere to go; dropping it could panic too.
                std::mem::forget(payload);
            }
        }
    }
}

impl<F: Future> Future for Harness<'_, F> {
    type Output = TaskOutput<Result<F::Output, JobError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: the future inside is never moved: it is only polled through
        // a pin made below and dropped in place (by assigning `None`), which
        // is what the pinning contract allows.
        let this = unsafe { self.get_unchecked_mut() };
        let header = this.header;

        if header.state.is_cancel_requested() {
            let dropped = this.drop_future();
            terminate(header);
            return Poll::Ready(TaskOutput(Some(dropped.and(Err(JobError::Cancelled)))));
        }
        let Some(future) = this.future.as_mut() else {
            // The cell never polls a finished future; answer sanely anyway.
            return Poll::Ready(TaskOutput(Some(Err(JobError::AlreadyTaken))));
        };
        // SAFETY: see above; `future` lives in place inside the pinned harness.
        let future = unsafe { Pin::new_unchecked(future) };

        let from = header.state.to_running();
        if from != State::Terminated {
            header.trace_at(from, State::Running, Moment::PollStart);
        }
        let (polled, yielded) = current::polling(header, || {
            coop::with_budget(|| catch_unwind(AssertUnwindSafe(|| future.poll(cx))))
        });
        // Before the shutdown check below: a shutdown that took the
        // registry's wakers before this one was kept is seen there.
        let unregistered =
            matches!(polled, Ok(Poll::Pending)) && !keep_waker_at_first_wait(header, cx);
        match polled {
            Ok(Poll::Pending) if unregistered => {
                // Shutdown took the task out of its registry while it ran:
                // nobody would wake or drop it again.
                let dropped = this.drop_future();
                header.state.to_terminated();
                Poll::Ready(TaskOutput(Some(dropped.and(Err(JobError::Shutdown)))))
            }
            Ok(Poll::Pending)
                if header.kind == TaskKind::Async && header.scheduler.is_shut_down() =>
            {
                // Polled by a worker that outlived its runtime's shutdown (a
                // poll that was still running then): nobody would ever wake
                // or drop it again, so it ends here.
                let dropped = this.drop_future();
                header.state.to_terminated();
                Poll::Ready(TaskOutput(Some(dropped.and(Err(JobError::Shutdown)))))
            }
            Ok(Poll::Pending) => {
                // Still Running: parked, or yielding (noted only while
                // tracing: Ready at once, since the task is queued again
                // right after this poll, and the trace need not show a
                // Waiting that lasts no time). Already Ready: woken during
                // the poll.
                let left = if yielded {
                    header.state.to_ready()
                } else {
                    header.state.running_to_waiting()
                };
                let to = match left {
                    State::Running if yielded => State::Ready,
                    State::Running => State::Waiting,
                    other => other,
                };
                header.trace(State::Running, to);
                Poll::Pending
            }
            Ok(Poll::Ready(output)) => {
                let dropped = this.drop_future();
                terminate(header);
                let result =
                    if header.kind == TaskKind::Closure && header.state.is_cancel_requested() {
                        Err(JobError::Cancelled)
                    } else {
                        dropped.map(|()| output)
                    };
                Poll::Ready(TaskOutput(Some(result)))
            }
            Err(payload) => {
                let _ = this.drop_future();
                terminate(header);
                Poll::Ready(TaskOutput(Some(Err(JobError::from_panic(payload)))))
            }
        }
    }
}

impl<F> Drop for Harness<'_, F> {
    fn drop(&mut self) {
        let _ = self.drop_future();
        terminate(self.header);
        self.header.scheduler.release(self.header);
    }
}

/// The task is about to wait: the first time, hands its waker to its
/// registry (see `OwnedTasks::keep_waker`). Returns false when the
/// registry no longer has the task (shut down).
#[inline]
fn keep_waker_at_first_wait(header: &Header, cx: &Context<'_>) -> bool {
    if header.state.waker_kept() || header.owner_key == usize::MAX {
        return true;
    }
    header.state.mark_waker_kept();
    let Some(registry) = header.scheduler.registry() else {
        return true;
    };
    let kept = registry.keep_waker(header, cx.waker());
    // A cancel requested before the waker was kept found none to wake
    // (the request is set before the registry is looked at, and the
    // registry's lock orders the two): wake for it now, or the task
    // would wait with the request unseen.
    if kept && header.state.is_cancel_requested() {
        cx.waker().wake_by_ref();
    }
    kept
}

/// Ends the task's lifecycle, and traces it the first time.
fn terminate(header: &Header) {
    let from = header.state.to_terminated();
    if from != State::Terminated {
        header.trace(from, State::Terminated);
    }
}
