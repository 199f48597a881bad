//! [`Stream`]: one connected byte-stream socket, read and written through
//! the reactor — one implementation for every kind of stream socket
//! ([`StreamKind`]: [`Tcp`](super::tcp::Tcp), [`Unix`](super::unix::Unix)).
//! The kinds keep their own names, [`TcpStream`](super::TcpStream) and
//! [`UnixStream`](super::UnixStream), and their own methods (`connect`,
//! TCP's `nodelay`, Unix's `pair`) beside the ones here.
//!
//! Uses `stream_io` (the registered socket) and `split` (the halves).

use std::fmt;
use std::io;
use std::net::Shutdown;

use super::split::{self, OwnedReadHalf, OwnedWriteHalf};
use super::stream_io::{StreamIo, StreamSocket};

pub(super) mod sealed {
    use std::io;

    use super::{StreamKind, StreamSocket};

    /// What a [`Stream`](super::Stream) needs of its kind; outside
    /// `deli::net` it can be neither named nor implemented, which seals
    /// [`StreamKind`].
    pub trait Sealed: Sized {
        /// The `mio` socket under the stream.
        type Socket: StreamSocket;
        /// The `mio` listening socket of the kind.
        type Listener: mio::event::Source + std::os::fd::AsFd;
        /// The stream type's name, for `Debug`.
        const NAME: &'static str;
        /// The listener type's name, for `Debug`.
        const LISTENER_NAME: &'static str;
        /// One non-blocking accept.
        fn accept(
            listener: &Self::Listener,
        ) -> io::Result<(Self::Socket, <Self as StreamKind>::Addr)>
        where
            Self: StreamKind;
        /// The address a listener is bound to.
        fn listener_addr(listener: &Self::Listener) -> io::Result<<Self as StreamKind>::Addr>
        where
            Self: StreamKind;
        /// A `std` listener, switched to non-blocking mode.
        fn listener_from_std(
            listener: <Self as StreamKind>::StdListener,
        ) -> io::Result<Self::Listener>
        where
            Self: StreamKind;
        /// The listener as a `std` listener in blocking mode.
        fn listener_into_std(
            listener: Self::Listener,
        ) -> io::Result<<Self as StreamKind>::StdListener>
        where
            Self: StreamKind;
        /// The address of the socket's peer.
        fn peer_addr(socket: &Self::Socket) -> io::Result<<Self as StreamKind>::Addr>
        where
            Self: StreamKind;
        /// The address of the socket's own end.
        fn local_addr(socket: &Self::Socket) -> io::Result<<Self as StreamKind>::Addr>
        where
            Self: StreamKind;
        /// A connected `std` stream, switched to non-blocking mode.
        fn socket_from_std(stream: <Self as StreamKind>::Std) -> io::Result<Self::Socket>
        where
            Self: StreamKind;
        /// The socket as a `std` stream in blocking mode.
        fn socket_into_std(socket: Self::Socket) -> io::Result<<Self as StreamKind>::Std>
        where
            Self: StreamKind;
    }
}

/// A kind of stream socket: [`Tcp`](super::tcp::Tcp) or
/// [`Unix`](super::unix::Unix). Sealed: these are the only ones.
///
/// # Examples
///
/// ```
/// use deli::net::stream::{Stream, StreamKind};
///
/// // Code for any kind of stream.
/// async fn greet<K: StreamKind>(stream: &mut Stream<K>) -> std::io::Result<()> {
///     stream.write_all(b"hello").await
/// }
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (mut left, mut right) = deli::net::UnixStream::pair()?;
///     greet(&mut left).await?;
///     let mut buf = [0; 5];
///     right.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello");
///     Ok(())
/// })
/// # }
/// ```
pub trait StreamKind: sealed::Sealed {
    /// The address of either end: [`std::net::SocketAddr`] for TCP,
    /// [`std::os::unix::net::SocketAddr`] for Unix sockets.
    type Addr: fmt::Debug;
    /// The `std` stream of this kind (`std::net::TcpStream`,
    /// `std::os::unix::net::UnixStream`).
    type Std;
    /// The `std` listener of this kind (`std::net::TcpListener`,
    /// `std::os::unix::net::UnixListener`).
    type StdListener;
}

/// Declares a kind of stream socket from its `mio` and `std` types, which
/// have the same methods for every kind.
macro_rules! stream_kind {
    (
        $kind:ident {
            names: $stream_name:literal, $listener_name:literal;
            mio: $socket:ty, $listener:ty;
            std: $std:ty, $std_listener:ty;
            addr: $addr:ty $(;)?
        }
    ) => {
        impl $crate::net::stream::StreamKind for $kind {
            type Addr = $addr;
            type Std = $std;
            type StdListener = $std_listener;
        }

        impl $crate::net::stream::sealed::Sealed for $kind {
            type Socket = $socket;
            type Listener = $listener;
            const NAME: &'static str = $stream_name;
            const LISTENER_NAME: &'static str = $listener_name;

            $crate::net::fd::one_line_fns! {
                fn peer_addr(socket: &$socket) -> std::io::Result<$addr> = socket.peer_addr();
                fn local_addr(socket: &$socket) -> std::io::Result<$addr> = socket.local_addr();
                fn socket_from_std(stream: $std) -> std::io::Result<$socket> =
                    $crate::net::fd::std_to_mio(stream, <$socket>::from_std);
                fn socket_into_std(socket: $socket) -> std::io::Result<$std> =
                    $crate::net::fd::mio_to_std(socket);
                fn accept(listener: &$listener) -> std::io::Result<($socket, $addr)> =
                    listener.accept();
                fn listener_addr(listener: &$listener) -> std::io::Result<$addr> =
                    listener.local_addr();
                fn listener_from_std(listener: $std_listener) -> std::io::Result<$listener> =
                    $crate::net::fd::std_to_mio(listener, <$listener>::from_std);
                fn listener_into_std(listener: $listener) -> std::io::Result<$std_listener> =
                    $crate::net::fd::mio_to_std(listener);
            }
        }
    };
}

pub(super) use stream_kind;

/// A connected stream socket of kind `K`: a [`TcpStream`](super::TcpStream)
/// or a [`UnixStream`](super::UnixStream), the names to use.
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
pub struct Stream<K: StreamKind> {
    io: StreamIo<K::Socket>,
}

impl<K: StreamKind> Stream<K> {
    pub(in crate::net) fn from_mio(socket: K::Socket) -> io::Result<Stream<K>> {
        Ok(Stream {
            io: StreamIo::new(socket)?,
        })
    }

    pub(in crate::net) fn from_io(io: StreamIo<K::Socket>) -> Stream<K> {
        Stream { io }
    }

    pub(in crate::net) fn stream_io(&self) -> &StreamIo<K::Socket> {
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
    pub fn from_std(stream: K::Std) -> io::Result<Stream<K>> {
        Stream::from_mio(K::socket_from_std(stream)?)
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
    pub fn into_std(self) -> io::Result<K::Std> {
        K::socket_into_std(self.io.into_socket()?)
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

    /// Reads exactly `buf.len()` bytes and returns that count; fails with
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the stream ends
    /// first (what was read by then is in `buf`).
    ///
    /// The same signature as tokio's `AsyncReadExt::read_exact`, which
    /// this inherent method shadows when that trait is in scope (feature
    /// `tokio`): code written for either reads the same. (futures'
    /// `AsyncReadExt::read_exact` gives `()` instead; `.await?;` works with
    /// both.)
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
    ///     assert_eq!(client.read_exact(&mut buf).await?, 3);
    ///     assert_eq!(&buf, b"abc");
    ///     let eof = client.read_exact(&mut buf).await.unwrap_err();
    ///     assert_eq!(eof.kind(), std::io::ErrorKind::UnexpectedEof);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_exact(buf).await?;
        Ok(buf.len())
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
    pub fn peer_addr(&self) -> io::Result<K::Addr> {
        K::peer_addr(self.io.socket())
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
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        K::local_addr(self.io.socket())
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
    pub fn into_split(self) -> (OwnedReadHalf<K>, OwnedWriteHalf<K>) {
        split::split(self.io)
    }
}

super::fd::socket_impls!(Stream<K: StreamKind>, |this| this.io.socket().as_fd(), debug: K::NAME => [local_addr, peer_addr]);
