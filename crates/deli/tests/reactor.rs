//! The reactor under the real runtime: sources registered directly
//! (pipes and socket pairs), woken by the worker that polls the driver,
//! including wakes from foreign threads.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{runtimes, within, BOUND};
use deli::io::Async;
use mio::net::UnixStream;
use mio::unix::pipe;

#[test]
fn a_pipe_written_from_a_foreign_thread_wakes_the_reader() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let (mut sender, receiver) = pipe::new().unwrap();
            let received = runtime.block_on(async move {
                let receiver = Async::new(receiver).unwrap();
                let writer = std::thread::spawn(move || {
                    for chunk in 0..10u8 {
                        std::thread::sleep(Duration::from_millis(2));
                        sender.write_all(&[chunk; 100]).unwrap();
                    }
                });
                let mut received = Vec::new();
                let mut buf = [0u8; 256];
                loop {
                    let n = receiver.read_with(|mut r| r.read(&mut buf)).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    received.extend_from_slice(&buf[..n]);
                }
                writer.join().unwrap();
                received
            });
            assert_eq!(received.len(), 1000, "{flavour}");
            assert!(received
                .chunks(100)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8)));
        }
    });
}

#[test]
fn tasks_ping_pong_over_socket_pairs() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let total = runtime.block_on(async {
                let tickets: Vec<_> = (0..50u32)
                    .map(|pair| {
                        let (left, right) = UnixStream::pair().unwrap();
                        let server = deli::spawn(async move {
                            let mut right = Async::new(right).unwrap();
                            let mut buf = [0u8; 4];
                            for _ in 0..20 {
                                right
                                    .read_with_mut(|s| s.read_exact(&mut buf))
                                    .await
                                    .unwrap();
                                let value = u32::from_le_bytes(buf) + 1;
                                right
                                    .write_with_mut(|s| s.write_all(&value.to_le_bytes()))
                                    .await
                                    .unwrap();
                            }
                        });
                        deli::spawn(async move {
                            let mut left = Async::new(left).unwrap();
                            let mut value = pair;
                            let mut buf = [0u8; 4];
                            for _ in 0..20 {
                                left.write_with_mut(|s| s.write_all(&value.to_le_bytes()))
                                    .await
                                    .unwrap();
                                left.read_with_mut(|s| s.read_exact(&mut buf))
                                    .await
                                    .unwrap();
                                value = u32::from_le_bytes(buf);
                            }
                            server.await.unwrap();
                            value
                        })
                    })
                    .collect();
                let mut total = 0;
                for ticket in tickets {
                    total += ticket.await.unwrap();
                }
                total
            });
            // Each pair starts at its index and is incremented 20 times.
            assert_eq!(total, (0..50).map(|p| p + 20).sum::<u32>(), "{flavour}");
        }
    });
}

#[test]
fn io_waits_end_with_an_error_at_shutdown_and_outside_a_runtime() {
    within(BOUND, || {
        let (_sender, receiver) = pipe::new().unwrap();
        assert!(Async::new(receiver).is_err(), "no runtime on this thread");

        let runtime = deli::Runtime::builder().workers(1).build().unwrap();
        let (sender, receiver) = pipe::new().unwrap();
        let reader = runtime.spawn(async move {
            let receiver = Async::new(receiver).unwrap();
            receiver.readable().await
        });
        std::thread::sleep(Duration::from_millis(10));
        drop(runtime);
        assert!(matches!(
            reader.wait_blocking(),
            Err(deli::JobError::Shutdown)
        ));
        drop(sender);
    });
}
