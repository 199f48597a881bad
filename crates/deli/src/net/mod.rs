//! Sockets on the deli reactor: TCP ([`TcpListener`], [`TcpStream`]), UDP
//! ([`UdpSocket`]) and Unix-domain sockets ([`UnixListener`],
//! [`UnixStream`], [`UnixDatagram`]), plus name resolution
//! ([`lookup_host`], [`ToSocketAddrs`]).
//!
//! This module owns the socket types, their owned read and write halves,
//! and their `futures_io` (and, with the `tokio-io` feature, `tokio::io`)
//! trait implementations. It may call [`crate::io`] (every socket is an
//! [`Async`](crate::io::Async) over a `mio` socket), [`crate::time`] (connect
//! timeouts) and the runtime's [`spawn_blocking`](crate::spawn_blocking)
//! (host-name lookups, which block and so never run on a worker). Nothing
//! below it imports it.
//!
//! Errors are the operating system's, as [`std::io::Error`]s with its kind:
//! a refused connection is [`ConnectionRefused`](std::io::ErrorKind::ConnectionRefused),
//! a reset one [`ConnectionReset`](std::io::ErrorKind::ConnectionReset), a
//! write to a peer that has gone [`BrokenPipe`](std::io::ErrorKind::BrokenPipe).
//! End of stream is a read of 0 bytes. Writing to a closed peer never raises
//! `SIGPIPE`: every stream write goes through `send`/`sendmsg` with
//! `MSG_NOSIGNAL` (see the [`UnixStream`] notes for other platforms).
//!
//! ```
//! use deli::net::{TcpListener, TcpStream};
//!
//! # fn main() -> std::io::Result<()> {
//! deli::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = deli::spawn(async move {
//!         let (mut peer, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         peer.read_exact(&mut buf).await?;
//!         peer.write_all(&buf).await?;
//!         Ok::<(), std::io::Error>(())
//!     });
//!     let mut stream = TcpStream::connect(addr).await?;
//!     stream.write_all(b"hello").await?;
//!     let mut echoed = [0; 5];
//!     stream.read_exact(&mut echoed).await?;
//!     assert_eq!(&echoed, b"hello");
//!     server.await.map_err(std::io::Error::other)??;
//!     Ok(())
//! })
//! # }
//! ```

mod addr;
pub mod datagram;
mod fd;
mod interop;
pub mod listener;
mod send;
pub mod split;
pub mod stream;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

#[cfg(feature = "http")]
pub(crate) use addr::{finish as finish_resolution, sealed::Resolution};
pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpStream};
pub use udp::{Udp, UdpSocket};
pub use unix::{UnixDatagram, UnixListener, UnixStream};
