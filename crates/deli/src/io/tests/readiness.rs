//! The readiness word and waiter slots on their own, without the OS.

use crate::test_support::CountingWaker;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::io::error::ReactorError;
use crate::io::readiness::{Direction, Readiness, Ready, ReadyEvent};

fn poll(
    readiness: &Readiness,
    waker: &Waker,
    direction: Direction,
) -> Poll<io::Result<ReadyEvent>> {
    readiness.poll_ready(&mut Context::from_waker(waker), direction)
}

fn observe(readiness: &Readiness, direction: Direction) -> ReadyEvent {
    match poll(readiness, Waker::noop(), direction) {
        Poll::Ready(Ok(event)) => event,
        other => panic!("expected readiness, got {other:?}"),
    }
}

/// A waiter on `direction` that found it not ready: its counter and waker.
fn waiting(readiness: &Readiness, direction: Direction) -> (Arc<CountingWaker>, Waker) {
    let (counter, waker) = CountingWaker::new();
    assert!(poll(readiness, &waker, direction).is_pending());
    (counter, waker)
}

fn set(readiness: &Readiness, ready: Ready) -> Vec<Waker> {
    let mut wakers = Vec::new();
    readiness.set_ready(ready, &mut wakers);
    wakers
}

#[test]
fn starts_not_ready_and_becomes_ready_on_an_event() {
    let readiness = Readiness::new();
    let (counter, _waker) = waiting(&readiness, Direction::Read);

    let wakers = set(&readiness, Ready::READABLE);
    assert_eq!(wakers.len(), 1);
    wakers.into_iter().for_each(Waker::wake);
    assert_eq!(counter.wakes(), 1);
    assert!(observe(&readiness, Direction::Read).ready == Ready::READABLE);
}

#[test]
fn clearing_after_would_block_makes_the_side_wait_again() {
    let readiness = Readiness::new();
    set(&readiness, Ready::READABLE);
    let event = observe(&readiness, Direction::Read);
    readiness.clear_readiness(event);
    assert!(poll(&readiness, Waker::noop(), Direction::Read).is_pending());
}

#[test]
fn an_event_during_the_operation_is_not_cleared() {
    let readiness = Readiness::new();
    set(&readiness, Ready::READABLE);
    let before_op = observe(&readiness, Direction::Read);
    // The op runs; meanwhile the driver delivers a new edge.
    set(&readiness, Ready::READABLE);
    readiness.clear_readiness(before_op);
    assert!(poll(&readiness, Waker::noop(), Direction::Read).is_ready());
}

#[test]
fn clearing_one_side_keeps_the_other() {
    let readiness = Readiness::new();
    set(&readiness, Ready::READABLE | Ready::WRITABLE);
    readiness.clear_readiness(observe(&readiness, Direction::Read));
    assert!(poll(&readiness, Waker::noop(), Direction::Read).is_pending());
    assert!(observe(&readiness, Direction::Write).ready == Ready::WRITABLE);
}

#[test]
fn closed_flags_are_final() {
    let readiness = Readiness::new();
    set(&readiness, Ready::READABLE | Ready::READ_CLOSED);
    readiness.clear_readiness(observe(&readiness, Direction::Read));
    assert!(observe(&readiness, Direction::Read).ready == Ready::READ_CLOSED);
}

#[test]
fn a_writable_event_does_not_wake_the_reader() {
    let readiness = Readiness::new();
    let (reader, reader_waker) = waiting(&readiness, Direction::Read);
    let wakers = set(&readiness, Ready::WRITABLE);
    assert!(wakers.is_empty());
    assert_eq!(reader.wakes(), 0);
    assert!(poll(&readiness, &reader_waker, Direction::Read).is_pending());
}

#[test]
fn error_and_hang_up_wake_both_sides() {
    for event in [Ready::ERROR, Ready::READ_CLOSED | Ready::WRITE_CLOSED] {
        let readiness = Readiness::new();
        let (reader, reader_waker) = waiting(&readiness, Direction::Read);
        let (writer, writer_waker) = waiting(&readiness, Direction::Write);
        set(&readiness, event).into_iter().for_each(Waker::wake);
        assert_eq!((reader.wakes(), writer.wakes()), (1, 1));
        assert!(poll(&readiness, &reader_waker, Direction::Read).is_ready());
        assert!(poll(&readiness, &writer_waker, Direction::Write).is_ready());
    }
}

#[test]
fn a_second_reader_replaces_the_first() {
    // Documented limit: one waiting task per side.
    let readiness = Readiness::new();
    let (first, _first_waker) = waiting(&readiness, Direction::Read);
    let (second, _second_waker) = waiting(&readiness, Direction::Read);
    set(&readiness, Ready::READABLE)
        .into_iter()
        .for_each(Waker::wake);
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
}

#[test]
fn shutdown_fails_waits_and_wakes_both_sides() {
    let readiness = Readiness::new();
    let (reader, _reader_waker) = waiting(&readiness, Direction::Read);
    let (writer, _writer_waker) = waiting(&readiness, Direction::Write);

    let mut wakers = Vec::new();
    readiness.shutdown(&mut wakers);
    wakers.into_iter().for_each(Waker::wake);
    assert_eq!((reader.wakes(), writer.wakes()), (1, 1));

    // Later events do not revive it.
    set(&readiness, Ready::READABLE);
    for direction in [Direction::Read, Direction::Write] {
        match poll(&readiness, Waker::noop(), direction) {
            Poll::Ready(Err(err)) => assert!(ReactorError::Shutdown.matches(&err)),
            other => panic!("expected the shutdown error, got {other:?}"),
        }
    }
}
