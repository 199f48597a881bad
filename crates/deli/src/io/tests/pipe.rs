//! `Async` over `mio::unix::pipe`: end of file, a closed reader, and a
//! mebibyte streamed between two threads.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::pin;
use std::task::{Context, Poll};
use std::thread;

use mio::unix::pipe;

use super::executor::{assert_end_of_file, block_on, eventually, TestRuntime};
use crate::test_support::CountingWaker;

#[test]
fn eof_after_the_sender_closes() {
    let runtime = TestRuntime::start();
    let (sender, receiver) = pipe::new().unwrap();
    let receiver = runtime.register(receiver);
    drop(sender);
    assert_end_of_file(&receiver);
}

#[test]
fn a_writer_waiting_on_a_full_pipe_learns_the_reader_left() {
    let runtime = TestRuntime::start();
    let (sender, receiver) = pipe::new().unwrap();
    let sender = runtime.register(sender);
    let chunk = [7; 4096];
    while sender.get_ref().write(&chunk).is_ok() {}

    let (writer, writer_waker) = CountingWaker::new();
    let mut cx = Context::from_waker(&writer_waker);
    let mut write = pin!(sender.write_with(|mut s| s.write(&chunk)));
    assert!(write.as_mut().poll(&mut cx).is_pending());

    drop(receiver);
    assert!(
        eventually(|| writer.wakes() > 0),
        "the writer was not woken"
    );
    match write.as_mut().poll(&mut cx) {
        Poll::Ready(Err(err)) => assert_eq!(err.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected a broken pipe, got {other:?}"),
    }
}

#[test]
fn one_mebibyte_streams_through_intact() {
    const LEN: usize = 1 << 20;
    let data: Vec<u8> = (0..LEN).map(|i| (i * 31 + i / 251) as u8).collect();
    let runtime = TestRuntime::start();
    let (sender, receiver) = pipe::new().unwrap();
    let sender = runtime.register(sender);
    let receiver = runtime.register(receiver);

    let writer = thread::spawn({
        let data = data.clone();
        move || {
            block_on(async {
                let mut rest = &data[..];
                while !rest.is_empty() {
                    // Odd sizes, so writes and reads do not line up.
                    let end = rest.len().min(7919);
                    let n = sender.write_with(|mut s| s.write(&rest[..end])).await?;
                    rest = &rest[n..];
                }
                Ok::<(), io::Error>(())
            })
            // `sender` dropped here: the reader sees end of file.
        }
    });

    let received = block_on(async {
        let mut received = Vec::with_capacity(LEN);
        let mut buf = vec![0; 6007];
        loop {
            let n = receiver.read_with(|mut r| r.read(&mut buf)).await?;
            if n == 0 {
                return Ok::<_, io::Error>(received);
            }
            received.extend_from_slice(&buf[..n]);
        }
    })
    .unwrap();
    writer.join().unwrap().unwrap();
    assert_eq!(received.len(), LEN);
    assert!(received == data, "the bytes arrived altered");
}
