//! UDP ping-pong, Unix streams (listener, pair, split) and Unix datagrams,
//! on both runtime flavours.

mod common;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use common::{within, BOUND};
use deli::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};

/// A socket path unique to this process and `name`, removed on drop.
struct TempSocket(PathBuf);

impl TempSocket {
    fn new(name: &str) -> TempSocket {
        let path =
            std::env::temp_dir().join(format!("deli-net-{}-{name}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempSocket(path)
    }
}

impl Drop for TempSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn udp_ping_pong() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let ponger = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
                let pinger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                pinger.connect(ponger.local_addr().unwrap()).await.unwrap();

                let answering = {
                    let ponger = Arc::clone(&ponger);
                    deli::spawn(async move {
                        let mut buf = [0; 8];
                        for _ in 0..200 {
                            let (n, from) = ponger.recv_from(&mut buf).await?;
                            let value = u64::from_be_bytes(buf[..n].try_into().unwrap());
                            ponger.send_to(&(value + 1).to_be_bytes(), from).await?;
                        }
                        Ok::<(), io::Error>(())
                    })
                };
                for round in 0..200u64 {
                    pinger.send(&(round * 2).to_be_bytes()).await.unwrap();
                    let mut buf = [0; 8];
                    let n = pinger.recv(&mut buf).await.unwrap();
                    assert_eq!(n, 8);
                    assert_eq!(u64::from_be_bytes(buf), round * 2 + 1, "{name}");
                }
                answering.await.unwrap().unwrap();
            });
        }
    });
}

#[test]
fn udp_datagram_boundaries_and_std_round_trip() {
    within(BOUND, || {
        deli::run(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).unwrap();
            a.send_to(b"first", b.local_addr().unwrap()).await.unwrap();
            a.send_to(b"second", b.local_addr().unwrap()).await.unwrap();
            let mut buf = [0; 64];
            let (n, _) = b.peek_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"first");
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"first"[..], a.local_addr().unwrap()));
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"second");
            let b = b.into_std().unwrap();
            assert!(b.local_addr().is_ok());
        });
    });
}

#[test]
fn unix_stream_echo_through_a_listener() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            let socket = TempSocket::new(&format!("echo-{name}"));
            let path = socket.0.clone();
            runtime.block_on(async move {
                let listener = UnixListener::bind(&path).unwrap();
                assert_eq!(
                    listener.local_addr().unwrap().as_pathname(),
                    Some(path.as_path())
                );
                deli::spawn(async move {
                    while let Ok((stream, _)) = listener.accept().await {
                        deli::spawn(async move {
                            let (mut reader, mut writer) = stream.into_split();
                            let mut buf = [0; 4096];
                            loop {
                                let n = reader.read(&mut buf).await?;
                                if n == 0 {
                                    return Ok::<(), io::Error>(());
                                }
                                writer.write_all(&buf[..n]).await?;
                            }
                        })
                        .detach();
                    }
                })
                .detach();

                let clients: Vec<_> = (0..20)
                    .map(|id| {
                        let path = path.clone();
                        deli::spawn(async move {
                            let mut stream = UnixStream::connect(&path).await?;
                            let message = format!("unix client {id}").repeat(100);
                            stream.write_all(message.as_bytes()).await?;
                            let mut echoed = vec![0; message.len()];
                            stream.read_exact(&mut echoed).await?;
                            assert_eq!(echoed, message.as_bytes());
                            Ok::<(), io::Error>(())
                        })
                    })
                    .collect();
                for client in clients {
                    client.await.unwrap().unwrap();
                }
            });
        }
    });
}

#[test]
fn unix_stream_pair_half_close_and_broken_pipe() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            runtime.block_on(async {
                let (mut left, mut right) = UnixStream::pair().unwrap();
                left.write_all(b"half").await.unwrap();
                left.shutdown(std::net::Shutdown::Write).unwrap();
                let mut buf = [0; 4];
                right.read_exact(&mut buf).await.unwrap();
                assert_eq!(right.read(&mut buf).await.unwrap(), 0, "{name}");
                right.write_all(b"back").await.unwrap();
                left.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"back");
                drop(right);
                let error = left.write_all(b"gone").await.unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::BrokenPipe, "{name}");
                let left = left.into_std().unwrap();
                assert!(left.peer_addr().is_ok());
            });
        }
    });
}

#[test]
fn unix_datagrams_bound_and_paired() {
    within(BOUND, || {
        for (name, runtime) in common::runtimes() {
            let socket = TempSocket::new(&format!("dgram-{name}"));
            let path = socket.0.clone();
            runtime.block_on(async move {
                let server = Arc::new(UnixDatagram::bind(&path).unwrap());
                let client_socket = TempSocket::new(&format!("dgram-client-{name}"));
                let client = UnixDatagram::bind(&client_socket.0).unwrap();
                let answering = {
                    let server = Arc::clone(&server);
                    deli::spawn(async move {
                        let mut buf = [0; 64];
                        for _ in 0..50 {
                            let (n, from) = server.recv_from(&mut buf).await?;
                            let to = from.as_pathname().expect("the client is bound").to_owned();
                            buf[..n].reverse();
                            server.send_to(&buf[..n], to).await?;
                        }
                        Ok::<(), io::Error>(())
                    })
                };
                for i in 0..50 {
                    let message = format!("datagram {i}");
                    client.send_to(message.as_bytes(), &path).await.unwrap();
                    let mut buf = [0; 64];
                    let n = client.recv(&mut buf).await.unwrap();
                    let expected: Vec<u8> = message.bytes().rev().collect();
                    assert_eq!(&buf[..n], expected.as_slice(), "{name}");
                }
                answering.await.unwrap().unwrap();

                let (left, right) = UnixDatagram::pair().unwrap();
                left.send(b"one").await.unwrap();
                left.send(b"two").await.unwrap();
                let mut buf = [0; 8];
                assert_eq!(right.recv(&mut buf).await.unwrap(), 3);
                assert_eq!(&buf[..3], b"one");
                assert_eq!(right.recv(&mut buf).await.unwrap(), 3);
                assert_eq!(&buf[..3], b"two");
            });
        }
    });
}
