//! [`TcpStream`]: one TCP connection, read and written through the reactor.

use std::future::poll_fn;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::OwnedFd;
use std::time::Duration;

use crate::net::addr::{first_success, resolve};
use crate::net::split::{self, sealed, OwnedReadHalf, OwnedWriteHalf, SplitStream};
use crate::net::stream_io::StreamIo;
use crate::net::ToSocketAddrs;

/// A TCP connection.
///
/// Reading and writing take `&mut self`; to read in one task and write in
/// another, [`into_split`](Self::into_split) the stream. It implements
/// `futures_io::AsyncRead`/`AsyncWrite` (so `futures-util`'s `AsyncReadExt`
/// and `AsyncWriteExt` work) and, with the `tokio-io` feature, tokio's
/// `AsyncRead`/`AsyncWrite` (so `tokio-util` codecs and `hyper-util`'s
/// `TokioIo` work). Closing it (`poll_close` / `poll_shutdown`) shuts down
/// the write direction; dropping it closes the socket.
///
/// Failures are `io::Error`s with the OS's kind: a reset connection reads
/// as [`ConnectionReset`](io::ErrorKind::ConnectionReset), a write after
/// the peer has gone fails with [`BrokenPipe`](io::ErrorKind::BrokenPipe)
/// or `ConnectionReset` and never raises `SIGPIPE`; the peer's orderly
/// close reads as `Ok(0)`.
///
/// # Examples
///
/// ```
/// use deli::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///
///     client.write_all(b"ping").await?;
///     client.shutdown(std::net::Shutdown::Write)?;
///     let mut received = Vec::new();
///     let mut buf = [0; 16];
///     loop {
///         match server.read(&mut buf).await? {
///             0 => break, // the client shut down its side
///             n => received.extend_from_slice(&buf[..n]),
///         }
///     }
///     assert_eq!(received, b"ping");
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpStream {
    io: StreamIo<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`: each of its addresses in turn until one accepts
    /// (host names are resolved on the blocking pool, never on a worker).
    ///
    /// Fails with the OS error of the last address tried, e.g.
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused); with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if `addr` resolves to
    /// nothing; with kind [`Other`](io::ErrorKind::Other) outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let port = listener.local_addr()?.port();
    ///     // By address, or by name: "localhost" is looked up off the workers.
    ///     let by_addr = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(by_addr.peer_addr()?.port(), port);
    ///     drop(listener);
    ///     let refused = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
    ///     assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let addrs = resolve(&addr).await?;
        first_success(addrs, Self::connect_addr).await
    }

    /// [`connect`](Self::connect), given up after `timeout` (name lookup
    /// included) with an error of kind [`TimedOut`](io::ErrorKind::TimedOut).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect_timeout(addr, Duration::from_secs(5)).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        match crate::time::timeout(timeout, Self::connect(addr)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect did not finish within {timeout:?}"),
            )),
        }
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        stream.io.finish_connect().await?;
        Ok(stream)
    }

    pub(in crate::net) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: StreamIo::new(stream)?,
        })
    }

    pub(in crate::net) fn from_io(io: StreamIo<mio::net::TcpStream>) -> TcpStream {
        TcpStream { io }
    }

    pub(in crate::net) fn stream_io(&self) -> &StreamIo<mio::net::TcpStream> {
        &self.io
    }

    /// Adopts a connected `std` stream (switching it to non-blocking mode)
    /// and registers it with the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// deli::run(async {
    ///     let stream = TcpStream::from_std(std_stream)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a `std` stream in blocking
    /// mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (mut client, mut server) = deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     Ok::<_, std::io::Error>((client.into_std()?, server.into_std()?))
    /// })?;
    /// client.write_all(b"sync now")?;
    /// let mut buf = [0; 8];
    /// server.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"sync now");
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let stream = std::net::TcpStream::from(OwnedFd::from(self.io.into_socket()?));
        stream.set_nonblocking(false)?;
        Ok(stream)
    }

    /// Reads some bytes into `buf` and returns how many; `Ok(0)` means the
    /// peer has shut down its side (or `buf` is empty).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     drop(server);
    ///     let mut buf = [0; 8];
    ///     assert_eq!(client.read(&mut buf).await?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Reads exactly `buf.len()` bytes; fails with
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the stream ends
    /// first (what was read by then is in `buf`).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"abc").await?;
    ///     drop(server);
    ///     let mut buf = [0; 3];
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"abc");
    ///     let eof = client.read_exact(&mut buf).await.unwrap_err();
    ///     assert_eq!(eof.kind(), std::io::ErrorKind::UnexpectedEof);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Reads bytes into `buf` without consuming them: the next read sees
    /// them again.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"x").await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(client.peek(&mut buf).await?, 1);
    ///     assert_eq!(client.read(&mut buf).await?, 1);
    ///     assert_eq!(&buf, b"x");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let registered = self.io.registered();
        poll_fn(|cx| registered.poll_read_with(cx, |stream| stream.peek(&mut *buf))).await
    }

    /// Writes some of `buf` and returns how many bytes were written.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(client.write(b"hi").await?, 2);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`, waiting for room as often as needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.write_all(b"all of it").await?;
    ///     let mut buf = [0; 9];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"all of it");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Waits until the stream is readable (data, end of stream or an
    /// error). Readiness is remembered until a read returns `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"!").await?;
    ///     client.readable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registered().readable().await
    }

    /// Waits until the stream is writable (room to write, or an error).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.writable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registered().writable().await
    }

    /// Shuts down the read side, the write side, or both. After
    /// `Shutdown::Write` the peer reads end of stream while this side can
    /// still read what the peer sends (a half-close).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    ///
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     client.shutdown(Shutdown::Write)?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(server.read(&mut buf).await?, 0);
    ///     server.write_all(b"late").await?; // the other direction still works
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"late");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// The address of the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(client.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.socket().peer_addr()
    }

    /// The local address of this end.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(client.local_addr()?, server.peer_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.socket().local_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on: with `TCP_NODELAY` set,
    /// small writes are sent at once instead of being held back to coalesce.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.set_nodelay(true)?;
    ///     assert!(client.nodelay()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.socket().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set; see [`set_nodelay`](Self::set_nodelay).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(!client.nodelay()?); // the OS default
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.socket().nodelay()
    }

    /// Sets the IP time-to-live of this connection's packets.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.set_ttl(7)?;
    ///     assert_eq!(client.ttl()?, 7);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.socket().set_ttl(ttl)
    }

    /// The IP time-to-live; see [`set_ttl`](Self::set_ttl).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(client.ttl()? > 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.socket().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any, clearing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(client.take_error()?.is_none());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.socket().take_error()
    }

    /// Splits the stream into a read half and a write half that can move
    /// to different tasks; [`OwnedReadHalf::reunite`] puts them back.
    /// Dropping the write half shuts down the write direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///
    ///     let (mut reader, mut writer) = client.into_split();
    ///     let sending = deli::spawn(async move { writer.write_all(b"both ways").await });
    ///     let mut buf = [0; 9];
    ///     server.read_exact(&mut buf).await?;
    ///     server.write_all(&buf).await?;
    ///     reader.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"both ways");
    ///     sending.await.map_err(std::io::Error::other)??;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split::split(self.io)
    }
}

impl sealed::Sealed for TcpStream {
    type Socket = mio::net::TcpStream;

    fn from_io(io: StreamIo<mio::net::TcpStream>) -> TcpStream {
        TcpStream::from_io(io)
    }

    fn peer_addr(socket: &mio::net::TcpStream) -> io::Result<SocketAddr> {
        socket.peer_addr()
    }

    fn local_addr(socket: &mio::net::TcpStream) -> io::Result<SocketAddr> {
        socket.local_addr()
    }
}

impl SplitStream for TcpStream {
    type Addr = SocketAddr;
}

crate::net::fd::socket_impls!(TcpStream, |this| this.io.socket(), debug: [local_addr, peer_addr]);
