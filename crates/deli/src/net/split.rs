//! The owned halves of a [`Stream`], one implementation for every kind of
//! stream socket: one task reads through an [`OwnedReadHalf`] while
//! another writes through an [`OwnedWriteHalf`]. Both hold the same
//! registered socket; the reactor's separate reader and writer wakers let
//! them wait at the same time.
//!
//! The kinds keep their own names for their halves —
//! [`tcp::OwnedReadHalf`](super::tcp::OwnedReadHalf) is
//! `OwnedReadHalf<Tcp>`, [`unix::OwnedReadHalf`](super::unix::OwnedReadHalf)
//! is `OwnedReadHalf<Unix>` — so code written against tokio's paths reads
//! the same.
//!
//! Uses `stream` and `stream_io`.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::Shutdown;

use super::stream::{Stream, StreamKind};
use super::stream_io::StreamIo;

/// The reading half of a [`Stream`], from [`Stream::into_split`]. Implements
/// `futures_io::AsyncRead` (and tokio's `AsyncRead` with the `tokio-io`
/// feature).
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
///     let (mut reader, _writer) = client.into_split();
///     server.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     reader.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok(())
/// })
/// # }
/// ```
pub struct OwnedReadHalf<K: StreamKind> {
    io: StreamIo<K::Socket>,
}

/// The writing half of a [`Stream`], from [`Stream::into_split`]. Implements
/// `futures_io::AsyncWrite` (and tokio's `AsyncWrite` with the `tokio-io`
/// feature).
///
/// Dropping it shuts down the write direction, so the peer reads end of
/// stream even while the read half lives on; [`forget`](Self::forget)
/// drops it without that.
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
///     let (_reader, mut writer) = client.into_split();
///     writer.write_all(b"bye").await?;
///     drop(writer);
///     let mut buf = [0; 8];
///     assert_eq!(server.read(&mut buf).await?, 3);
///     assert_eq!(server.read(&mut buf).await?, 0); // end of stream
///     Ok(())
/// })
/// # }
/// ```
pub struct OwnedWriteHalf<K: StreamKind> {
    io: StreamIo<K::Socket>,
    shutdown_on_drop: bool,
}

/// The two halves given to [`OwnedReadHalf::reunite`] were not split from
/// the same stream; both are handed back.
///
/// # Examples
///
/// ```
/// use deli::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let (read_a, _write_a) = TcpStream::connect(listener.local_addr()?).await?.into_split();
///     let (_read_b, write_b) = TcpStream::connect(listener.local_addr()?).await?.into_split();
///     let mismatch = read_a.reunite(write_b).unwrap_err();
///     let (_read_a, _write_b) = (mismatch.0, mismatch.1);
///     Ok(())
/// })
/// # }
/// ```
pub struct ReuniteError<K: StreamKind>(pub OwnedReadHalf<K>, pub OwnedWriteHalf<K>);

/// Splits a stream's registered socket into its two halves.
pub(super) fn split<K: StreamKind>(
    io: StreamIo<K::Socket>,
) -> (OwnedReadHalf<K>, OwnedWriteHalf<K>) {
    let write = OwnedWriteHalf {
        io: io.clone(),
        shutdown_on_drop: true,
    };
    (OwnedReadHalf { io }, write)
}

impl<K: StreamKind> OwnedReadHalf<K> {
    pub(in crate::net) fn stream_io(&self) -> &StreamIo<K::Socket> {
        &self.io
    }

    /// Puts the halves of one stream back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (reader, writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     let stream = reader.reunite(writer).map_err(std::io::Error::other)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf<K>) -> Result<Stream<K>, ReuniteError<K>> {
        if !self.io.same_socket(&other.io) {
            return Err(ReuniteError(self, other));
        }
        Ok(Stream::from_io(other.forget_into_io()))
    }

    /// Reads some bytes; `Ok(0)` at end of stream. As the stream's `read`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (mut reader, _writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     let (server, _) = listener.accept().await?;
    ///     drop(server);
    ///     assert_eq!(reader.read(&mut [0; 4]).await?, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read(buf).await
    }

    /// Reads exactly `buf.len()` bytes and returns that count, or fails
    /// with [`UnexpectedEof`](io::ErrorKind::UnexpectedEof). As the
    /// stream's `read_exact`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (mut reader, _writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"four").await?;
    ///     let mut buf = [0; 4];
    ///     reader.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"four");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_exact(buf).await?;
        Ok(buf.len())
    }

    /// Waits until the stream is readable. As the stream's `readable`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (reader, _writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"!").await?;
    ///     reader.readable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.registered().readable().await
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
    ///     let (reader, _writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     assert_eq!(reader.peer_addr()?, listener.local_addr()?);
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
    ///     let (reader, _writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     assert!(reader.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        K::local_addr(self.io.socket())
    }
}

impl<K: StreamKind> OwnedWriteHalf<K> {
    pub(in crate::net) fn stream_io(&self) -> &StreamIo<K::Socket> {
        &self.io
    }

    /// Records that the write direction is shut down already, so dropping
    /// the half need not do it again.
    pub(in crate::net) fn mark_shut_down(&mut self) {
        self.shutdown_on_drop = false;
    }

    fn forget_into_io(mut self) -> StreamIo<K::Socket> {
        self.shutdown_on_drop = false;
        self.io.clone()
    }

    /// Drops the half without shutting down the write direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (_reader, writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     writer.forget(); // the peer sees no end of stream yet
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// Writes some of `buf`. As the stream's `write`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (_reader, mut writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     assert_eq!(writer.write(b"hey").await?, 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.io.write(buf).await
    }

    /// Writes all of `buf`. As the stream's `write_all`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (_reader, mut writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     let (mut server, _) = listener.accept().await?;
    ///     writer.write_all(b"whole").await?;
    ///     let mut buf = [0; 5];
    ///     server.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"whole");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
    }

    /// Waits until the stream is writable. As the stream's `writable`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (_reader, writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     writer.writable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registered().writable().await
    }

    /// Shuts down the write direction now: the peer reads end of stream,
    /// and the read half keeps reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let (mut reader, mut writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     let (mut server, _) = listener.accept().await?;
    ///     writer.shutdown()?;
    ///     assert_eq!(server.read(&mut [0; 1]).await?, 0);
    ///     server.write_all(b"still").await?;
    ///     let mut buf = [0; 5];
    ///     reader.read_exact(&mut buf).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&mut self) -> io::Result<()> {
        self.io.shutdown(Shutdown::Write)?;
        self.shutdown_on_drop = false;
        Ok(())
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
    ///     let (_reader, writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     assert_eq!(writer.peer_addr()?, listener.local_addr()?);
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
    ///     let (_reader, writer) = TcpStream::connect(listener.local_addr()?).await?.into_split();
    ///     assert!(writer.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        K::local_addr(self.io.socket())
    }
}

impl<K: StreamKind> Drop for OwnedWriteHalf<K> {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may have gone already; there is no one to tell.
            let _ = self.io.shutdown(Shutdown::Write);
        }
    }
}

impl<K: StreamKind> fmt::Debug for OwnedReadHalf<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReadHalf")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl<K: StreamKind> fmt::Debug for OwnedWriteHalf<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl<K: StreamKind> fmt::Debug for ReuniteError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl<K: StreamKind> fmt::Display for ReuniteError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl<K: StreamKind> Error for ReuniteError<K> {}
