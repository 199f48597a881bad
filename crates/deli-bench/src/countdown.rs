//! "Signal completion": an atomic countdown that fires a [`crate::oneshot`]
//! when the last participant checks in.
//!
//! Owns: [`Countdown`]. Calls: `std` atomics and [`crate::oneshot`] only, so
//! both runtimes see exactly the same completion signal.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::oneshot;

/// Counts down from a fixed number; the call that reaches zero sends on the
/// oneshot returned by [`Countdown::new`].
#[derive(Debug)]
pub struct Countdown {
    remaining: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    /// A countdown of `count` steps, and the receiver that resolves once all
    /// of them happened (at once if `count` is zero).
    pub fn new(count: usize) -> (Arc<Countdown>, oneshot::Receiver<()>) {
        let (done, all_done) = oneshot::channel();
        let countdown = Arc::new(Countdown {
            remaining: AtomicUsize::new(count),
            done: Mutex::new(Some(done)),
        });
        if count == 0 {
            countdown.fire();
        }
        (countdown, all_done)
    }

    /// One participant is done. Extra calls past zero are ignored.
    pub fn count_down(&self) {
        // AcqRel: whatever every participant did before counting down
        // happens-before the waiter wakes.
        let previous = self
            .remaining
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if previous == Ok(1) {
            self.fire();
        }
    }

    fn fire(&self) {
        let sender = self.done.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            // The waiter may have given up (dropped its receiver); nothing to do then.
            let _ = sender.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    fn is_done(receiver: &mut oneshot::Receiver<()>) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        matches!(Pin::new(receiver).poll(&mut cx), Poll::Ready(Ok(())))
    }

    #[test]
    fn fires_only_on_the_last_step() {
        let (countdown, mut all_done) = Countdown::new(3);
        countdown.count_down();
        countdown.count_down();
        assert!(!is_done(&mut all_done));
        countdown.count_down();
        countdown.count_down();
        assert!(is_done(&mut all_done));
    }

    #[test]
    fn zero_fires_at_once() {
        let (_countdown, mut all_done) = Countdown::new(0);
        assert!(is_done(&mut all_done));
    }
}
