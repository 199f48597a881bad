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

use crate::poison::IgnorePoison;
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
            let mut state = self.state.lock().ignore_poison();
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

/// Turns a reply's value bytes into the ticket's value.
pub(crate) type Decode<R> = fn(Vec<u8>) -> Result<R, JobError>;

/// Decodes a `#[deli::job]`'s postcard value.
pub(crate) fn decode_postcard<R: DeserializeOwned>(bytes: Vec<u8>) -> Result<R, JobError> {
    postcard::from_bytes(&bytes)
        .map_err(|error| JobError::Remote(format!("the job's value could not be decoded: {error}")))
}

/// Keeps a raw job's value bytes as they came (`submit_raw`).
pub(crate) fn keep_bytes(bytes: Vec<u8>) -> Result<Vec<u8>, JobError> {
    Ok(bytes)
}

/// The future in a process job's task cell.
pub(crate) struct JobFuture<R> {
    slot: Arc<ResultSlot>,
    decode: Decode<R>,
    value: PhantomData<fn() -> R>,
}

impl<R> JobFuture<R> {
    pub(crate) fn new(slot: Arc<ResultSlot>, decode: Decode<R>) -> JobFuture<R> {
        JobFuture {
            slot,
            decode,
            value: PhantomData,
        }
    }
}

impl<R> Future for JobFuture<R> {
    type Output = Result<R, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.slot.state.lock().ignore_poison();
        match state.result.take() {
            Some(result) => {
                drop(state);
                Poll::Ready(result.and_then(self.decode))
            }
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

impl<R> Drop for JobFuture<R> {
    fn drop(&mut self) {
        self.slot.abandoned.store(true, Ordering::Release);
    }
}
