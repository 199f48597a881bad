//! A runtime-agnostic single-value channel, used by both sides of every
//! comparison so that only the runtime under test differs.
//!
//! Owns: [`channel`], [`Sender`], [`Receiver`], [`Canceled`]. Calls nothing
//! but `std` (a `Mutex` around the slot plus the receiver's `Waker`), so it
//! behaves the same under deli and under tokio.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Creates a channel that carries exactly one value from a [`Sender`] to a
/// [`Receiver`].
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        slot: Mutex::new(Slot {
            value: None,
            receiver_waker: None,
            sender_gone: false,
            receiver_gone: false,
        }),
    });
    (
        Sender {
            shared: Some(Arc::clone(&shared)),
        },
        Receiver { shared },
    )
}

/// The sending half; [`Sender::send`] consumes it.
#[derive(Debug)]
pub struct Sender<T> {
    /// `None` once the value has been sent, so `Drop` knows not to report
    /// the sender as gone-without-sending.
    shared: Option<Arc<Shared<T>>>,
}

/// The receiving half: a future that resolves to the sent value, or to
/// [`Canceled`] if the sender was dropped without sending.
#[derive(Debug)]
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// The sender was dropped before it sent a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canceled;

impl fmt::Display for Canceled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("oneshot sender dropped without sending")
    }
}

impl std::error::Error for Canceled {}

#[derive(Debug)]
struct Shared<T> {
    slot: Mutex<Slot<T>>,
}

#[derive(Debug)]
struct Slot<T> {
    value: Option<T>,
    receiver_waker: Option<Waker>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        // A panic while holding this lock leaves the slot consistent (every
        // critical section is a few field writes), so poisoning is ignored.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> Sender<T> {
    /// Delivers `value` and wakes the receiver. Gives the value back if the
    /// receiver is already gone.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let Some(shared) = self.shared.take() else {
            return Err(value);
        };
        let waker = {
            let mut slot = shared.lock();
            if slot.receiver_gone {
                return Err(value);
            }
            slot.value = Some(value);
            slot.receiver_waker.take()
        };
        // Wake outside the lock so the woken task never contends with us.
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let waker = {
            let mut slot = shared.lock();
            slot.sender_gone = true;
            slot.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.shared.lock();
        if let Some(value) = slot.value.take() {
            return Poll::Ready(Ok(value));
        }
        if slot.sender_gone {
            return Poll::Ready(Err(Canceled));
        }
        let already_registered = slot
            .receiver_waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if !already_registered {
            slot.receiver_waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.lock().receiver_gone = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_once<T>(receiver: &mut Receiver<T>, waker: &Waker) -> Poll<Result<T, Canceled>> {
        Pin::new(receiver).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn value_sent_before_poll_is_ready_at_once() {
        let (sender, mut receiver) = channel();
        assert_eq!(sender.send(7), Ok(()));
        assert_eq!(poll_once(&mut receiver, Waker::noop()), Poll::Ready(Ok(7)));
    }

    #[test]
    fn send_after_poll_wakes_the_receiver() {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let (sender, mut receiver) = channel();
        assert_eq!(poll_once(&mut receiver, &waker), Poll::Pending);
        assert_eq!(sender.send("hi"), Ok(()));
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll_once(&mut receiver, &waker), Poll::Ready(Ok("hi")));
    }

    #[test]
    fn dropped_sender_cancels_the_receiver() {
        let (sender, mut receiver) = channel::<()>();
        assert_eq!(poll_once(&mut receiver, Waker::noop()), Poll::Pending);
        drop(sender);
        assert_eq!(
            poll_once(&mut receiver, Waker::noop()),
            Poll::Ready(Err(Canceled))
        );
    }

    #[test]
    fn send_to_dropped_receiver_returns_the_value() {
        let (sender, receiver) = channel();
        drop(receiver);
        assert_eq!(sender.send(3), Err(3));
    }
}
