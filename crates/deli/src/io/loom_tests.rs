//! Loom models of the readiness protocol (`readiness.rs`): no wake-up is
//! lost between a task that starts waiting and the driver (or shutdown)
//! that makes it ready, and an event that arrives while an operation runs
//! survives the operation's `WouldBlock`.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --lib io::loom_tests`.

use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::readiness::{Direction, Readiness, Ready};

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (Arc::clone(&counter), Waker::from(counter))
}

/// A thread that does `act` to the readiness (as the driver or shutdown
/// would) and then wakes whatever it hands back.
fn spawn_acting(
    readiness: &loom::sync::Arc<Readiness>,
    act: impl FnOnce(&Readiness, &mut Vec<Waker>) + Send + 'static,
) -> thread::JoinHandle<()> {
    let readiness = loom::sync::Arc::clone(readiness);
    thread::spawn(move || {
        let mut wakers = Vec::new();
        act(&readiness, &mut wakers);
        wakers.into_iter().for_each(Waker::wake);
    })
}

#[test]
fn an_event_racing_with_a_new_waiter_is_never_lost() {
    loom::model(|| {
        let readiness = loom::sync::Arc::new(Readiness::new());
        let driver = spawn_acting(&readiness, |readiness, wakers| {
            readiness.set_ready(Ready::READABLE, wakers)
        });
        let (counter, waker) = counting_waker();
        let polled = readiness.poll_ready(&mut Context::from_waker(&waker), Direction::Read);
        driver.join().unwrap();
        if polled.is_pending() {
            assert_eq!(counter.0.load(Ordering::Acquire), 1, "lost wake-up");
        }
    });
}

#[test]
fn shutdown_racing_with_a_new_waiter_is_never_lost() {
    loom::model(|| {
        let readiness = loom::sync::Arc::new(Readiness::new());
        let stopper = spawn_acting(&readiness, |readiness, wakers| readiness.shutdown(wakers));
        let (counter, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let polled = readiness.poll_ready(&mut cx, Direction::Write);
        stopper.join().unwrap();
        match polled {
            Poll::Pending => assert_eq!(counter.0.load(Ordering::Acquire), 1, "lost wake-up"),
            Poll::Ready(result) => assert!(result.is_err()),
        }
        assert!(matches!(
            readiness.poll_ready(&mut cx, Direction::Write),
            Poll::Ready(Err(_))
        ));
    });
}

#[test]
fn an_event_during_an_operation_survives_its_would_block() {
    loom::model(|| {
        let readiness = loom::sync::Arc::new(Readiness::new());
        let mut ignored = Vec::new();
        readiness.set_ready(Ready::READABLE, &mut ignored);
        let observed =
            match readiness.poll_ready(&mut Context::from_waker(Waker::noop()), Direction::Read) {
                Poll::Ready(Ok(event)) => event,
                _ => unreachable!("readiness was just set"),
            };
        let driver = spawn_acting(&readiness, |readiness, wakers| {
            readiness.set_ready(Ready::READABLE | Ready::WRITABLE, wakers)
        });
        // The operation returned WouldBlock, concurrently with the event.
        readiness.clear_readiness(observed);
        driver.join().unwrap();
        assert!(readiness
            .poll_ready(&mut Context::from_waker(Waker::noop()), Direction::Read)
            .is_ready());
    });
}
