//! `Async<UnixStream>`: readiness, `read_with`/`write_with`, EOF, and a
//! reader and a writer waiting on one socket at once.

use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use mio::net::UnixStream;

use super::executor::{
    assert_end_of_file, block_on, drain_events, eventually, turn_until, TestRuntime,
};
use crate::io::{enter, Async, Driver};
use crate::test_support::{CountingWaker, HandPolled};

/// One `read` call's worth of bytes.
pub(super) fn read_some(mut stream: &UnixStream) -> io::Result<Vec<u8>> {
    let mut buf = [0; 64];
    let n = stream.read(&mut buf)?;
    Ok(buf[..n].to_vec())
}

/// Writes into `stream` until the kernel buffer is full.
fn fill(stream: &UnixStream) -> usize {
    let chunk = [0x5a; 16 * 1024];
    let mut written = 0;
    loop {
        match (&*stream).write(&chunk) {
            Ok(n) => written += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return written,
            Err(err) => panic!("filling the socket failed: {err}"),
        }
    }
}

/// Reads from `stream` until it would block; returns how much it read.
fn drain(stream: &UnixStream) -> usize {
    let mut buf = [0; 64 * 1024];
    let mut read = 0;
    loop {
        match (&*stream).read(&mut buf) {
            Ok(0) => return read,
            Ok(n) => read += n,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return read,
            Err(err) => panic!("draining the socket failed: {err}"),
        }
    }
}

#[test]
fn readable_only_after_the_peer_writes() {
    let (mut driver, reactor) = Driver::new().unwrap();
    let _entered = enter(&reactor);
    let (left, mut right) = UnixStream::pair().unwrap();
    let left = Async::new(left).unwrap();
    let (reader, reader_waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&reader_waker);

    assert!(left.poll_readable(&mut cx).is_pending());
    // The first events say "writable", which is no reason to wake a reader.
    drain_events(&mut driver);
    assert_eq!(reader.wakes(), 0);
    assert!(left.poll_readable(&mut cx).is_pending());

    right.write_all(b"x").unwrap();
    assert!(turn_until(&mut driver, || reader.wakes() > 0));
    assert!(matches!(left.poll_readable(&mut cx), Poll::Ready(Ok(()))));
}

#[test]
fn writable_at_start() {
    let runtime = TestRuntime::start();
    let (left, _right) = UnixStream::pair().unwrap();
    let left = runtime.register(left);
    block_on(left.writable()).unwrap();
    let n = block_on(left.write_with(|mut s| s.write(b"hello"))).unwrap();
    assert_eq!(n, 5);
}

#[test]
fn read_with_returns_data_and_waits_for_more() {
    let runtime = TestRuntime::start();
    let (left, mut right) = UnixStream::pair().unwrap();
    let left = runtime.register(left);
    let mut buf = [0; 64];

    right.write_all(b"hello").unwrap();
    let n = block_on(left.read_with(|mut s| s.read(&mut buf))).unwrap();
    assert_eq!(&buf[..n], b"hello");

    // Nothing left to read: the next read must wait, then see new data.
    let mut read = HandPolled::pending(left.read_with(read_some));
    right.write_all(b"world").unwrap();
    assert!(eventually(|| read.wakes() > 0), "the reader was not woken");
    match read.poll() {
        Poll::Ready(result) => assert_eq!(result.unwrap(), b"world"),
        Poll::Pending => panic!("woken but not readable"),
    }
}

#[test]
fn read_with_mut_and_write_with_mut_round_trip() {
    let runtime = TestRuntime::start();
    let (left, right) = UnixStream::pair().unwrap();
    let mut left = runtime.register(left);
    let mut right = runtime.register(right);
    block_on(right.write_with_mut(|s| s.write_all(b"round trip"))).unwrap();
    let mut buf = [0; 10];
    block_on(left.read_with_mut(|s| s.read_exact(&mut buf))).unwrap();
    assert_eq!(&buf, b"round trip");
}

#[test]
fn eof_after_the_peer_closes() {
    let runtime = TestRuntime::start();
    let (left, mut right) = UnixStream::pair().unwrap();
    let left = runtime.register(left);
    right.write_all(b"last words").unwrap();
    drop(right);

    block_on(left.readable()).unwrap();
    let mut received = Vec::new();
    let mut buf = [0; 4];
    loop {
        let n = block_on(left.read_with(|mut s| s.read(&mut buf))).unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
    }
    assert_eq!(received, b"last words");
    // End of file is final: still readable, still zero.
    assert_end_of_file(&left);
}

#[test]
fn a_reader_and_a_writer_waiting_together_are_both_woken() {
    let runtime = TestRuntime::start();
    let (left, right) = UnixStream::pair().unwrap();
    let left = runtime.register(left);
    assert!(fill(left.get_ref()) > 0);

    let mut read = HandPolled::pending(left.read_with(read_some));
    let mut write = HandPolled::pending(left.write_with(|mut s| s.write(b"more")));

    (&right).write_all(b"ping").unwrap();
    assert!(eventually(|| read.wakes() > 0), "the reader was not woken");
    assert!(drain(&right) > 0);
    assert!(eventually(|| write.wakes() > 0), "the writer was not woken");

    match read.poll() {
        Poll::Ready(result) => assert_eq!(result.unwrap(), b"ping"),
        Poll::Pending => panic!("reader woken but not done"),
    }
    match write.poll() {
        Poll::Ready(result) => assert_eq!(result.unwrap(), 4),
        Poll::Pending => panic!("writer woken but not done"),
    }
}

#[test]
fn hang_up_wakes_a_waiting_reader_and_writer() {
    let runtime = TestRuntime::start();
    let (left, right) = UnixStream::pair().unwrap();
    let left = runtime.register(left);
    fill(left.get_ref());

    let mut read = HandPolled::pending(left.read_with(read_some));
    let mut write = HandPolled::pending(left.write_with(|mut s| s.write(b"more")));

    drop(right);
    assert!(eventually(|| read.wakes() > 0 && write.wakes() > 0));
    // The reader sees end of file (or a reset, as the peer left data
    // unread); the writer can never write again.
    match read.poll() {
        Poll::Ready(Ok(bytes)) => assert!(bytes.is_empty()),
        Poll::Ready(Err(err)) => assert_ne!(err.kind(), io::ErrorKind::WouldBlock),
        Poll::Pending => panic!("reader woken but not done"),
    }
    match write.poll() {
        Poll::Ready(result) => assert!(result.is_err(), "wrote to a closed socket"),
        Poll::Pending => panic!("writer woken but not done"),
    }
}

#[test]
fn into_inner_deregisters() {
    let runtime = TestRuntime::start();
    let (left, mut right) = UnixStream::pair().unwrap();
    let left = runtime.register(left).into_inner().unwrap();
    // Registering the same socket twice would fail; after into_inner it works.
    let left = runtime.register(left);
    right.write_all(b"again").unwrap();
    let mut buf = [0; 8];
    let n = block_on(left.read_with(|mut s| s.read(&mut buf))).unwrap();
    assert_eq!(&buf[..n], b"again");
}

#[test]
fn async_sockets_can_be_shared_and_moved_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Async<UnixStream>>();
    assert_send_sync::<Async<mio::unix::pipe::Receiver>>();
}
