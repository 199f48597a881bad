//! Where a process job's result lands, and the future inside its ticket.
//!
//! A job's ticket is an ordinary task cell whose future waits on a
//! [`ResultSlot`]; the driver thread that talks to the child fills the slot
//! and wakes the task, which then decodes the value (on the driver's
//! thread, so the waiter does no work). The future marks the slot
//! abandoned when it is dropped — cancelled, or the pool shut down — so a
//! driver skips a job nobody waits for any more.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use serde::de::DeserializeOwned;

use crate::task::JobError;

#[derive(Debug, Default)]
struct SlotState {
    result: Option<Result<Vec<u8>, JobError>>,
    waker: Option<Waker>,
}

/// One job's result, filled once.
#[derive(Debug, Default)]
pub(crate) struct ResultSlot {
    state: Mutex<SlotState>,
    abandoned: AtomicBool,
}

impl ResultSlot {
    /// Stores the result (the first one wins) and wakes the waiting task.
    pub(crate) fn complete(&self, result: Result<Vec<u8>, JobError>) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if state.result.is_some() {
                return;
            }
            state.result = Some(result);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether nobody waits for the result any more.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::Acquire)
    }
}

/// The future in a process job's task cell.
pub(crate) struct JobFuture<R> {
    slot: Arc<ResultSlot>,
    value: PhantomData<fn() -> R>,
}

impl<R> JobFuture<R> {
    pub(crate) fn new(slot: Arc<ResultSlot>) -> JobFuture<R> {
        JobFuture {
            slot,
            value: PhantomData,
        }
    }
}

impl ResultSlot {
    /// The result's bytes once they are in; until then registers `cx`'s
    /// waker.
    fn poll_bytes(&self, cx: &mut Context<'_>) -> Poll<Result<Vec<u8>, JobError>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                if !state
                    .waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl<R: DeserializeOwned> Future for JobFuture<R> {
    type Output = Result<R, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = std::task::ready!(self.slot.poll_bytes(cx));
        Poll::Ready(result.and_then(|bytes| {
            postcard::from_bytes(&bytes).map_err(|error| {
                JobError::Remote(format!("the job's value could not be decoded: {error}"))
            })
        }))
    }
}

/// The future of a job submitted by name with raw argument bytes
/// ([`ProcessPool::submit_raw`](super::ProcessPool::submit_raw)): the
/// value's postcard bytes, undecoded.
pub(crate) struct RawJobFuture {
    slot: Arc<ResultSlot>,
}

impl RawJobFuture {
    pub(crate) fn new(slot: Arc<ResultSlot>) -> RawJobFuture {
        RawJobFuture { slot }
    }
}

impl Future for RawJobFuture {
    type Output = Result<Vec<u8>, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.slot.poll_bytes(cx)
    }
}

impl Drop for RawJobFuture {
    fn drop(&mut self) {
        self.slot.abandoned.store(true, Ordering::Release);
    }
}

impl<R> Drop for JobFuture<R> {
    fn drop(&mut self) {
        self.slot.abandoned.store(true, Ordering::Release);
    }
}
