//! TCP on loopback: echo with 1,000 concurrent clients, half-close, a
//! 64 MiB transfer checked end to end, errors with the OS's kind, connect
//! and read timeouts, split halves in two tasks, and dropping a stream
//! while another task's read is pending.

mod common;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use common::{raise_open_files_limit, within, BOUND};
use deli::net::{TcpListener, TcpStream};

fn multi_thread() -> deli::Runtime {
    deli::Runtime::builder().workers(2).build().unwrap()
}

/// Accepts forever, echoing every connection on its own task.
async fn spawn_echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    deli::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            deli::spawn(echo(stream)).detach();
        }
    })
    .detach();
    Ok(addr)
}

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

#[test]
fn echo_server_with_a_thousand_concurrent_clients() {
    within(BOUND, || {
        // Each client costs two descriptors (its end and the server's).
        let limit = raise_open_files_limit(4096);
        let clients = 1000.min((limit.saturating_sub(64) / 2) as usize);
        assert!(clients >= 100, "open-files limit {limit} is too low");
        multi_thread().block_on(async move {
            let addr = spawn_echo_server().await.unwrap();
            // Phase 1: every client connects, so all are open at once.
            let connecting: Vec<_> = (0..clients)
                .map(|_| deli::spawn(TcpStream::connect(addr)))
                .collect();
            let mut streams = Vec::with_capacity(clients);
            for ticket in connecting {
                streams.push(ticket.await.unwrap().unwrap());
            }
            // Phase 2: all of them talk concurrently.
            let talking: Vec<_> = streams
                .into_iter()
                .enumerate()
                .map(|(id, mut stream)| {
                    deli::spawn(async move {
                        for round in 0..3u32 {
                            let message = format!("client {id} round {round} ").repeat(20);
                            stream.write_all(message.as_bytes()).await?;
                            let mut echoed = vec![0; message.len()];
                            stream.read_exact(&mut echoed).await?;
                            assert_eq!(echoed, message.as_bytes());
                        }
                        Ok::<(), io::Error>(())
                    })
                })
                .collect();
            for ticket in talking {
                ticket.await.unwrap().unwrap();
            }
        });
    });
}

#[test]
fn half_close_lets_the_other_direction_finish() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut client = TcpStream::connect(listener.local_addr().unwrap())
                    .await
                    .unwrap();
                let (mut server, _) = listener.accept().await.unwrap();

                client.write_all(b"request").await.unwrap();
                client.shutdown(Shutdown::Write).unwrap();

                // The server reads to end of stream, then still answers.
                let mut request = Vec::new();
                let mut buf = [0; 4];
                loop {
                    match server.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => request.extend_from_slice(&buf[..n]),
                    }
                }
                assert_eq!(request, b"request", "{name}");
                server.write_all(b"response").await.unwrap();
                drop(server);

                let mut response = Vec::new();
                loop {
                    match client.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => response.extend_from_slice(&buf[..n]),
                    }
                }
                assert_eq!(response, b"response", "{name}");
            });
        }
    });
}

/// The byte at `offset` of the test stream: depends on the whole offset,
/// so a lost, repeated or reordered chunk shows.
fn pattern(offset: u64) -> u8 {
    (offset.wrapping_mul(0x9E37_79B9) >> 13) as u8 ^ (offset >> 20) as u8
}

#[test]
fn sixty_four_mebibytes_round_trip_intact() {
    const TOTAL: u64 = 64 << 20;
    within(BOUND, || {
        multi_thread().block_on(async {
            let addr = spawn_echo_server().await.unwrap();
            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut reader, mut writer) = stream.into_split();

            let sending = deli::spawn(async move {
                let mut chunk = vec![0; 64 * 1024];
                let mut offset = 0u64;
                while offset < TOTAL {
                    for (i, byte) in chunk.iter_mut().enumerate() {
                        *byte = pattern(offset + i as u64);
                    }
                    writer.write_all(&chunk).await?;
                    offset += chunk.len() as u64;
                }
                Ok::<(), io::Error>(()) // dropping the writer sends end of stream
            });

            let mut buf = vec![0; 64 * 1024];
            let mut received = 0u64;
            loop {
                let n = reader.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for (i, &byte) in buf[..n].iter().enumerate() {
                    let at = received + i as u64;
                    assert_eq!(byte, pattern(at), "byte {at} differs");
                }
                received += n as u64;
            }
            sending.await.unwrap().unwrap();
            assert_eq!(received, TOTAL);
        });
    });
}

#[test]
fn split_halves_work_from_two_tasks_and_reunite() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let addr = spawn_echo_server().await.unwrap();
                let (mut reader, mut writer) = TcpStream::connect(addr).await.unwrap().into_split();
                let writing = deli::spawn(async move {
                    for i in 0..100u32 {
                        writer.write_all(&i.to_be_bytes()).await?;
                    }
                    Ok::<_, io::Error>(writer)
                });
                let reading = deli::spawn(async move {
                    for i in 0..100u32 {
                        let mut word = [0; 4];
                        reader.read_exact(&mut word).await?;
                        assert_eq!(u32::from_be_bytes(word), i);
                    }
                    Ok::<_, io::Error>(reader)
                });
                let writer = writing.await.unwrap().unwrap();
                let reader = reading.await.unwrap().unwrap();
                let mut stream = reader.reunite(writer).unwrap();
                stream.write_all(b"whole again").await.unwrap();
                let mut buf = [0; 11];
                stream.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"whole again", "{name}");
            });
        }
    });
}

#[test]
fn connect_by_host_name_resolves_off_the_workers() {
    within(BOUND, || {
        multi_thread().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            // "localhost" may resolve to ::1 first; connect tries each address.
            let client = TcpStream::connect(("localhost", port)).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            assert_eq!(client.local_addr().unwrap(), server.peer_addr().unwrap());
            let by_string = TcpStream::connect(format!("localhost:{port}"))
                .await
                .unwrap();
            assert_eq!(by_string.peer_addr().unwrap().port(), port);
        });
    });
}

#[test]
fn errors_carry_the_os_kind() {
    within(BOUND, || {
        multi_thread().block_on(async {
            // Refused: nothing listens on a port we just released.
            let port = {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                listener.local_addr().unwrap().port()
            };
            let refused = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

            // Unresolvable text.
            let invalid = TcpStream::connect("not an address").await.unwrap_err();
            assert!(
                matches!(
                    invalid.kind(),
                    io::ErrorKind::InvalidInput | io::ErrorKind::Other | io::ErrorKind::NotFound
                ),
                "{invalid:?}"
            );

            // Reset: the peer closes with a zero linger, which sends RST.
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: the descriptor is open; the option value is a linger
            // struct passed with its size.
            let set = unsafe {
                libc::setsockopt(
                    server.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&linger as *const libc::linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
            assert_eq!(set, 0);
            drop(server);
            let reset = client.read(&mut [0; 8]).await.unwrap_err();
            assert_eq!(reset.kind(), io::ErrorKind::ConnectionReset);
        });
    });
}

#[test]
fn connect_timeout_gives_up_with_timed_out() {
    within(BOUND, || {
        multi_thread().block_on(async {
            // A listener with a backlog of 0 that never accepts: once its
            // queue is full the kernel drops further SYNs, so connects hang.
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            // SAFETY: the descriptor is an open, listening socket.
            let relisten = unsafe { libc::listen(listener.as_raw_fd(), 0) };
            assert_eq!(relisten, 0);
            let addr = listener.local_addr().unwrap();

            let mut queued = Vec::new();
            let mut timed_out = None;
            for _ in 0..16 {
                match TcpStream::connect_timeout(addr, Duration::from_millis(300)).await {
                    Ok(stream) => queued.push(stream),
                    Err(error) => {
                        timed_out = Some(error);
                        break;
                    }
                }
            }
            let error = timed_out.expect("a connect to a full backlog should time out");
            assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error:?}");
        });
    });
}

#[test]
fn read_timeout_leaves_the_stream_usable() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut client = TcpStream::connect(listener.local_addr().unwrap())
                    .await
                    .unwrap();
                let (mut server, _) = listener.accept().await.unwrap();

                let mut buf = [0; 5];
                let silent = deli::timeout(Duration::from_millis(100), client.read(&mut buf)).await;
                assert!(silent.is_err(), "{name}: the read should time out");

                server.write_all(b"later").await.unwrap();
                let read = deli::timeout(Duration::from_secs(10), client.read_exact(&mut buf))
                    .await
                    .expect("data that arrived is read");
                read.unwrap();
                assert_eq!(&buf, b"later", "{name}");
            });
        }
    });
}

#[test]
fn cancelling_a_task_with_a_pending_read_closes_its_stream() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut client = TcpStream::connect(listener.local_addr().unwrap())
                    .await
                    .unwrap();
                let (server, _) = listener.accept().await.unwrap();

                let reading = deli::spawn(async move {
                    let mut server = server;
                    let mut buf = [0; 1];
                    server.read(&mut buf).await
                });
                // Let the read start waiting.
                deli::sleep(Duration::from_millis(20)).await;
                assert!(!reading.is_done(), "{name}: nothing was sent yet");
                reading.cancel();
                assert!(
                    matches!(reading.await, Err(deli::JobError::Cancelled)),
                    "{name}"
                );

                // The cancelled task dropped its stream: the client sees the end.
                let n = client.read(&mut [0; 1]).await.unwrap();
                assert_eq!(n, 0, "{name}");
            });
        }
    });
}

#[test]
fn dropping_the_write_half_while_the_read_half_waits() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let client = TcpStream::connect(listener.local_addr().unwrap())
                    .await
                    .unwrap();
                let (mut server, _) = listener.accept().await.unwrap();
                let (mut reader, writer) = client.into_split();

                let reading = deli::spawn(async move {
                    let mut received = Vec::new();
                    let mut buf = [0; 16];
                    loop {
                        match reader.read(&mut buf).await? {
                            0 => return Ok::<_, io::Error>(received),
                            n => received.extend_from_slice(&buf[..n]),
                        }
                    }
                });
                deli::sleep(Duration::from_millis(20)).await;
                // Another task drops the write half while the read is pending.
                deli::spawn(async move { drop(writer) }).await.unwrap();

                // The server sees end of stream, answers, and closes.
                assert_eq!(server.read(&mut [0; 1]).await.unwrap(), 0, "{name}");
                server.write_all(b"goodbye").await.unwrap();
                drop(server);
                assert_eq!(reading.await.unwrap().unwrap(), b"goodbye", "{name}");
            });
        }
    });
}

#[test]
fn std_conversions_round_trip() {
    within(BOUND, || {
        multi_thread().block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let listener = TcpListener::from_std(std_listener).unwrap();
            let std_client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let mut client = TcpStream::from_std(std_client).unwrap();
            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            let (server, _) = listener.accept().await.unwrap();
            let server = server.into_std().unwrap();
            // Blocking std I/O on the converted stream, off the workers.
            deli::spawn_blocking(move || {
                use std::io::{Read, Write};
                let mut server = server;
                let mut buf = [0; 3];
                server.read_exact(&mut buf)?;
                server.write_all(&buf)
            })
            .detach();
            client.write_all(b"std").await.unwrap();
            let mut buf = [0; 3];
            client.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"std");
            let listener = listener.into_std().unwrap();
            assert!(listener.local_addr().is_ok());
        });
    });
}

#[test]
fn sockets_need_a_runtime() {
    let outside = deli::Runtime::builder()
        .current_thread()
        .build()
        .unwrap()
        .block_on(async { std::net::TcpListener::bind("127.0.0.1:0") })
        .unwrap();
    let error = TcpListener::from_std(outside).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::Other);
    assert!(error.to_string().contains("no deli runtime"), "{error}");
}
