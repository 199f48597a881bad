//! [`UnixStream`]: one Unix-domain stream connection, read and written
//! through the reactor.

use std::io;
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::net::split::{self, sealed, OwnedReadHalf, OwnedWriteHalf, SplitStream};
use crate::net::stream_io::StreamIo;

/// A Unix-domain stream connection.
///
/// Reading and writing take `&mut self`; [`into_split`](Self::into_split)
/// gives halves for two tasks. Implements `futures_io::AsyncRead` /
/// `AsyncWrite`, and tokio's traits with the `tokio-io` feature.
///
/// Writes never raise `SIGPIPE`: `std`'s Unix-stream writes use `write(2)`,
/// which would, so deli writes with `send(2)` and `MSG_NOSIGNAL` (on
/// platforms without that flag it sets `SO_NOSIGPIPE` on the socket). A
/// write to a peer that has gone fails with
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe).
///
/// # Examples
///
/// ```
/// use deli::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (mut left, mut right) = UnixStream::pair()?;
///     left.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     right.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     drop(right);
///     let broken = left.write_all(b"into the void").await.unwrap_err();
///     assert_eq!(broken.kind(), std::io::ErrorKind::BrokenPipe);
///     Ok(())
/// })
/// # }
/// ```
pub struct UnixStream {
    io: StreamIo<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound at `path`.
    ///
    /// Fails with the OS error: [`NotFound`](io::ErrorKind::NotFound) when
    /// nothing is bound there, [`ConnectionRefused`](io::ErrorKind::ConnectionRefused)
    /// when the file is not listened on.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let missing = std::env::temp_dir().join("deli-doc-no-such.sock");
    ///     let error = UnixStream::connect(&missing).await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = UnixStream::from_mio(mio::net::UnixStream::connect(path)?)?;
        stream.io.finish_connect().await?;
        Ok(stream)
    }

    /// A pair of connected, unnamed streams.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, right) = UnixStream::pair()?;
    ///     assert!(left.peer_addr()?.is_unnamed() && right.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (left, right) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(left)?, UnixStream::from_mio(right)?))
    }

    pub(in crate::net) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: StreamIo::new(stream)?,
        })
    }

    pub(in crate::net) fn from_io(io: StreamIo<mio::net::UnixStream>) -> UnixStream {
        UnixStream { io }
    }

    pub(in crate::net) fn stream_io(&self) -> &StreamIo<mio::net::UnixStream> {
        &self.io
    }

    /// Adopts a connected `std` stream (switching it to non-blocking mode)
    /// and registers it with the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (left, right) = std::os::unix::net::UnixStream::pair()?;
    /// deli::run(async {
    ///     let mut left = UnixStream::from_std(left)?;
    ///     let mut right = UnixStream::from_std(right)?;
    ///     left.write_all(b"ok").await?;
    ///     let mut buf = [0; 2];
    ///     right.read_exact(&mut buf).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    /// Deregisters the stream and returns it as a `std` stream in blocking
    /// mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (mut left, mut right) = deli::run(async {
    ///     let (left, right) = UnixStream::pair()?;
    ///     Ok::<_, std::io::Error>((left.into_std()?, right.into_std()?))
    /// })?;
    /// left.write_all(b"sync")?;
    /// let mut buf = [0; 4];
    /// right.read_exact(&mut buf)?;
    /// assert_eq!(&buf, b"sync");
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let stream = std::os::unix::net::UnixStream::from(OwnedFd::from(self.io.into_socket()?));
        stream.set_nonblocking(false)?;
        Ok(stream)
    }

    /// Reads some bytes; `Ok(0)` when the peer has shut down its side.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (mut left, right) = UnixStream::pair()?;
    ///     drop(right);
    ///     assert_eq!(left.read(&mut [0; 8]).await?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Reads exactly `buf.len()` bytes, or fails with
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (mut left, mut right) = UnixStream::pair()?;
    ///     right.write_all(b"12345").await?;
    ///     let mut buf = [0; 5];
    ///     left.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"12345");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Writes some of `buf` and returns how many bytes were written.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (mut left, _right) = UnixStream::pair()?;
    ///     assert_eq!(left.write(b"abc").await?, 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (mut left, mut right) = UnixStream::pair()?;
    ///     left.write_all(b"all").await?;
    ///     let mut buf = [0; 3];
    ///     right.read_exact(&mut buf).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Waits until the stream is readable (data, end of stream or error).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     right.write_all(b"!").await?;
    ///     left.readable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registered().readable().await
    }

    /// Waits until the stream is writable.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     left.writable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registered().writable().await
    }

    /// Shuts down the read side, the write side, or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    ///
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     left.shutdown(Shutdown::Write)?;
    ///     assert_eq!(right.read(&mut [0; 1]).await?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }

    /// The address of the peer (unnamed unless it was bound).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     assert!(left.peer_addr()?.is_unnamed());
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
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     assert!(left.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.socket().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     assert!(left.take_error()?.is_none());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.socket().take_error()
    }

    /// Splits the stream into halves for two tasks; dropping the write half
    /// shuts down the write direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let (mut reader, mut writer) = left.into_split();
    ///     let sending = deli::spawn(async move { writer.write_all(b"split").await });
    ///     let mut buf = [0; 5];
    ///     right.read_exact(&mut buf).await?;
    ///     right.write_all(&buf).await?;
    ///     reader.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"split");
    ///     sending.await.map_err(std::io::Error::other)??;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::split(self.io)
    }
}

impl sealed::Sealed for UnixStream {
    type Socket = mio::net::UnixStream;

    fn from_io(io: StreamIo<mio::net::UnixStream>) -> UnixStream {
        UnixStream::from_io(io)
    }

    fn peer_addr(socket: &mio::net::UnixStream) -> io::Result<SocketAddr> {
        socket.peer_addr()
    }

    fn local_addr(socket: &mio::net::UnixStream) -> io::Result<SocketAddr> {
        socket.local_addr()
    }
}

impl SplitStream for UnixStream {
    type Addr = SocketAddr;
}

crate::net::fd::socket_impls!(UnixStream, |this| this.io.socket(), debug: [local_addr, peer_addr]);
