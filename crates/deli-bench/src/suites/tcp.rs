//! The `tcp` suite: the same echo server written on deli's sockets and on
//! tokio's (2 workers each), loaded by one client that is neither: a tokio
//! current-thread runtime on its own thread, the identical code for both
//! servers, so only the server side differs. Each timed run is a fixed
//! number of round trips (write a message, read its echo) over connections
//! opened before the clock starts, in two shapes:
//!
//! - `echo_1k`: 64 connections × 1 KiB messages × 200 round trips each;
//! - `echo_64k`: 16 connections × 64 KiB messages × 40 round trips each.
//!
//! Owns: the two echo servers ([`EchoServer`]), the client and [`run`].
//! Calls: [`crate::harness`], [`crate::runtimes`] (to build the servers'
//! runtimes), and `deli::net` / `tokio::net`, which only the server bodies
//! name.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::Harness;
use crate::runtimes::{BenchRuntime, Deli, Flavor, Tokio};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "tcp";

/// The servers' read buffer, the same on both sides.
const SERVER_BUFFER: usize = 16 * 1024;

/// One load shape.
#[derive(Debug, Clone, Copy)]
struct Shape {
    name: &'static str,
    connections: usize,
    message: usize,
    round_trips: usize,
}

const SHAPES: [Shape; 2] = [
    Shape {
        name: "echo_1k",
        connections: 64,
        message: 1024,
        round_trips: 200,
    },
    Shape {
        name: "echo_64k",
        connections: 16,
        message: 64 * 1024,
        round_trips: 40,
    },
];

/// Runs both shapes, each against a deli server and a tokio server built
/// once for the shape.
pub fn run(harness: &Harness) -> io::Result<()> {
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    for shape in SHAPES {
        let name = format!("{SUITE}/{}", shape.name);
        if !harness.selects(&name) {
            continue;
        }
        let (deli, tokio) = {
            let _guard = harness.watch(format!("{name}: starting the servers"));
            let deli = Deli::build(Flavor::MultiThread)?;
            let tokio = Tokio::build(Flavor::MultiThread)?;
            let deli_addr = deli.start_echo_server()?;
            let tokio_addr = tokio.start_echo_server()?;
            ((deli, deli_addr), (tokio, tokio_addr))
        };
        let comparison = harness.compare(
            &name,
            || load(&client, deli.1, shape),
            || load(&client, tokio.1, shape),
        );
        println!("{comparison}");
        let _guard = harness.watch(format!("{name}: stopping the servers"));
        drop(deli);
        drop(tokio);
    }
    Ok(())
}

/// A runtime that can serve the echo protocol on loopback.
trait EchoServer: BenchRuntime {
    /// Binds a listener on 127.0.0.1, spawns its accept loop (one task per
    /// connection) and returns the address.
    fn start_echo_server(&self) -> io::Result<SocketAddr>;
}

impl EchoServer for Deli {
    fn start_echo_server(&self) -> io::Result<SocketAddr> {
        self.block_on(async {
            let listener = deli::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            Self::spawn_detached(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    Self::spawn_detached(deli_echo(stream));
                }
            });
            Ok(addr)
        })
    }
}

async fn deli_echo(mut stream: deli::net::TcpStream) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let mut buf = vec![0; SERVER_BUFFER];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

impl EchoServer for Tokio {
    fn start_echo_server(&self) -> io::Result<SocketAddr> {
        self.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            Self::spawn_detached(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    Self::spawn_detached(tokio_echo(stream));
                }
            });
            Ok(addr)
        })
    }
}

async fn tokio_echo(mut stream: tokio::net::TcpStream) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let mut buf = vec![0; SERVER_BUFFER];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// One timed run: opens `shape.connections` connections to `server`
/// (untimed), then times every connection doing its round trips at once.
/// The same code loads either server.
fn load(client: &tokio::runtime::Runtime, server: SocketAddr, shape: Shape) -> Duration {
    client.block_on(async move {
        let mut streams = Vec::with_capacity(shape.connections);
        for _ in 0..shape.connections {
            let stream = tokio::net::TcpStream::connect(server)
                .await
                .unwrap_or_else(|error| panic!("{SUITE}: cannot connect to {server}: {error}"));
            stream
                .set_nodelay(true)
                .unwrap_or_else(|error| panic!("{SUITE}: set_nodelay: {error}"));
            streams.push(stream);
        }
        let start = Instant::now();
        let clients: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(id, stream)| tokio::spawn(round_trips(stream, id, shape)))
            .collect();
        for client in clients {
            if let Err(error) = client.await {
                panic!("{SUITE}/{}: a client failed: {error}", shape.name);
            }
        }
        start.elapsed()
    })
}

/// Writes a message and reads its echo, `shape.round_trips` times, checking
/// that what comes back is what went out.
async fn round_trips(mut stream: tokio::net::TcpStream, id: usize, shape: Shape) {
    let message: Vec<u8> = (0..shape.message).map(|i| (i + id) as u8).collect();
    let mut echoed = vec![0; shape.message];
    for _ in 0..shape.round_trips {
        if let Err(error) = stream.write_all(&message).await {
            panic!("{SUITE}/{}: write: {error}", shape.name);
        }
        if let Err(error) = stream.read_exact(&mut echoed).await {
            panic!("{SUITE}/{}: read: {error}", shape.name);
        }
        assert!(
            echoed == message,
            "{SUITE}/{}: the echo differs",
            shape.name
        );
    }
}
