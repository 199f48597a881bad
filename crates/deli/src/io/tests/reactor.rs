//! The driver, the reactor and the current-reactor slot.

use std::future::{poll_fn, Future};
use std::io::{Read, Write};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use mio::net::UnixStream;
use mio::unix::pipe;
use mio::Interest;

use super::executor::{drain_events, BOUND};
use super::stream::read_some;
use crate::io::error::ReactorError;
use crate::io::readiness::Ready;
use crate::io::token;
use crate::io::{current, enter, Async, Driver, Reactor};
use crate::test_support::{CountingWaker, HandPolled};

#[test]
fn unpark_before_a_turn_makes_it_return() {
    let (mut driver, reactor) = Driver::new().unwrap();
    reactor.unpark();
    reactor.unpark(); // merged with the first
    assert_eq!(driver.turn(None).unwrap(), 0);
}

#[test]
fn unpark_interrupts_a_turn_without_timeout() {
    let (mut driver, reactor) = Driver::new().unwrap();
    let (turned, turns) = mpsc::channel();
    let turner = thread::spawn(move || {
        for _ in 0..3 {
            let dispatched = driver.turn(None).unwrap();
            turned.send(dispatched).unwrap();
        }
    });
    for _ in 0..3 {
        // Give the turner time to block (the test holds either way).
        thread::sleep(Duration::from_millis(20));
        reactor.unpark();
        assert_eq!(
            turns.recv_timeout(BOUND),
            Ok(0),
            "turn(None) was not interrupted"
        );
    }
    turner.join().unwrap();
}

#[test]
fn async_new_without_a_reactor_fails() {
    let (sender, _receiver) = pipe::new().unwrap();
    // A fresh thread has never entered a reactor.
    let result = thread::spawn(move || Async::new(sender).map(drop))
        .join()
        .unwrap();
    let err = result.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Other);
    assert!(ReactorError::NoRuntime.matches(&err));
    assert!(err.to_string().contains("no deli runtime"), "{err}");
}

#[test]
fn enter_nests_and_restores() {
    let (_first_driver, first) = Driver::new().unwrap();
    let (_second_driver, second) = Driver::new().unwrap();
    thread::spawn(move || {
        assert!(current().is_none());
        let outer = enter(&first);
        assert!(Arc::ptr_eq(&current().unwrap(), &first));
        {
            let _inner = enter(&second);
            assert!(Arc::ptr_eq(&current().unwrap(), &second));
        }
        assert!(Arc::ptr_eq(&current().unwrap(), &first));
        drop(outer);
        assert!(current().is_none());
    })
    .join()
    .unwrap();
}

#[test]
fn a_late_event_for_a_dropped_registration_is_ignored() {
    let (mut driver, reactor) = Driver::new().unwrap();
    let _entered = enter(&reactor);
    let (first, _first_peer) = UnixStream::pair().unwrap();
    let first = Async::new(first).unwrap();
    let stale = first.registration().token();
    drop(first);

    // The freed key is reused under a new generation.
    let (second, _second_peer) = UnixStream::pair().unwrap();
    let second = Async::new(second).unwrap();
    let fresh = second.registration().token();
    assert_eq!(token::decode(fresh).0, token::decode(stale).0);
    assert_ne!(fresh, stale);
    drain_events(&mut driver);

    let mut readable = HandPolled::pending(poll_fn(|cx| second.poll_readable(cx)));

    // An event carrying the old token, straight into the dispatcher...
    let mut wakers = Vec::new();
    assert_eq!(reactor.dispatch([(stale, Ready::READABLE)], &mut wakers), 0);
    assert!(wakers.is_empty());

    // ...and from the OS: a pipe registered under the old token.
    let (mut sender, mut receiver) = pipe::new().unwrap();
    reactor
        .registry()
        .register(&mut receiver, stale, Interest::READABLE)
        .unwrap();
    sender.write_all(b"late").unwrap();
    assert_eq!(driver.turn(Some(Duration::from_secs(2))).unwrap(), 0);

    assert_eq!(readable.wakes(), 0);
    assert!(readable.poll().is_pending());
    reactor.registry().deregister(&mut receiver).unwrap();
}

#[test]
fn shutdown_fails_pending_and_future_waits() {
    let (mut driver, reactor) = Driver::new().unwrap();
    let _entered = enter(&reactor);
    let (left, _right) = UnixStream::pair().unwrap();
    let left = Async::new(left).unwrap();
    drain_events(&mut driver);

    let mut buf = [0; 8];
    let mut read = HandPolled::pending(left.read_with(|mut s| s.read(&mut buf)));

    reactor.shutdown();
    assert_eq!(read.wakes(), 1);
    match read.poll() {
        Poll::Ready(Err(err)) => {
            assert_eq!(err.kind(), std::io::ErrorKind::Other);
            assert_eq!(err.to_string(), "deli runtime has shut down");
        }
        other => panic!("expected the shutdown error, got {other:?}"),
    }

    // Future waits fail too, even though the socket is writable.
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(left.poll_writable(&mut cx), Poll::Ready(Err(_))));
    let (another, _peer) = UnixStream::pair().unwrap();
    let err = Async::new(another).unwrap_err();
    assert!(ReactorError::Shutdown.matches(&err));
}

#[test]
fn dropping_the_driver_fails_the_waits() {
    let (driver, reactor) = Driver::new().unwrap();
    let _entered = enter(&reactor);
    let (left, _right) = UnixStream::pair().unwrap();
    let left = Async::new(left).unwrap();
    let (reader, reader_waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&reader_waker);
    assert!(left.poll_readable(&mut cx).is_pending());

    drop(driver);
    assert_eq!(reader.wakes(), 1);
    assert!(matches!(left.poll_readable(&mut cx), Poll::Ready(Err(_))));
}

#[test]
fn a_worker_turning_the_driver_sleeps_until_io_wakes_its_task() {
    // The runtime's shape: one thread polls its task and, while the task is
    // pending, blocks in the driver; the task's waker unparks the driver.
    struct Unpark {
        reactor: Arc<Reactor>,
        woken: AtomicBool,
    }
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.woken.store(true, Ordering::Release);
            self.reactor.unpark();
        }
    }

    let (mut driver, reactor) = Driver::new().unwrap();
    let _entered = enter(&reactor);
    let (left, mut right) = UnixStream::pair().unwrap();
    let left = Async::new(left).unwrap();
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        right.write_all(b"wake up").unwrap();
        right
    });

    let unpark = Arc::new(Unpark {
        reactor: Arc::clone(&reactor),
        woken: AtomicBool::new(true),
    });
    let waker = Waker::from(Arc::clone(&unpark));
    let mut cx = Context::from_waker(&waker);
    let mut read = pin!(left.read_with(read_some));
    let deadline = Instant::now() + BOUND;
    let received = loop {
        if unpark.woken.swap(false, Ordering::AcqRel) {
            if let Poll::Ready(result) = read.as_mut().poll(&mut cx) {
                break result.unwrap();
            }
        }
        assert!(Instant::now() < deadline, "the read never completed");
        // No timeout in the runtime; bounded here so a failure cannot hang.
        driver.turn(Some(BOUND)).unwrap();
    };
    assert_eq!(received, b"wake up");
    writer.join().unwrap();
}
