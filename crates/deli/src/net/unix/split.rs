//! The owned halves of a [`UnixStream`], for reading in one task and
//! writing in another; both hold the same registered socket.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;

use super::UnixStream;
use crate::net::stream_io::StreamIo;

type Socket = mio::net::UnixStream;

/// The reading half of a [`UnixStream`], from
/// [`UnixStream::into_split`]. Implements `futures_io::AsyncRead` (and
/// tokio's `AsyncRead` with the `tokio-io` feature).
///
/// # Examples
///
/// ```
/// use deli::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, mut right) = UnixStream::pair()?;
///     let (mut reader, _writer) = left.into_split();
///     right.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     reader.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok(())
/// })
/// # }
/// ```
pub struct OwnedReadHalf {
    io: StreamIo<Socket>,
}

/// The writing half of a [`UnixStream`], from
/// [`UnixStream::into_split`]. Implements `futures_io::AsyncWrite` (and
/// tokio's `AsyncWrite` with the `tokio-io` feature). Dropping it shuts
/// down the write direction unless it is [`forget`](Self::forget)-ten.
///
/// # Examples
///
/// ```
/// use deli::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, mut right) = UnixStream::pair()?;
///     let (_reader, mut writer) = left.into_split();
///     writer.write_all(b"bye").await?;
///     drop(writer);
///     let mut buf = [0; 8];
///     assert_eq!(right.read(&mut buf).await?, 3);
///     assert_eq!(right.read(&mut buf).await?, 0);
///     Ok(())
/// })
/// # }
/// ```
pub struct OwnedWriteHalf {
    io: StreamIo<Socket>,
    shutdown_on_drop: bool,
}

/// The two halves given to [`OwnedReadHalf::reunite`] were not split from
/// the same stream; both are handed back.
///
/// # Examples
///
/// ```
/// use deli::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, right) = UnixStream::pair()?;
///     let (read_left, _write_left) = left.into_split();
///     let (_read_right, write_right) = right.into_split();
///     assert!(read_left.reunite(write_right).is_err());
///     Ok(())
/// })
/// # }
/// ```
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl OwnedReadHalf {
    pub(super) fn new(io: StreamIo<Socket>) -> OwnedReadHalf {
        OwnedReadHalf { io }
    }

    pub(in crate::net) fn stream_io(&self) -> &StreamIo<Socket> {
        &self.io
    }

    /// Puts the halves of one stream back together.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let (reader, writer) = left.into_split();
    ///     let _left = reader.reunite(writer).map_err(std::io::Error::other)?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf) -> Result<UnixStream, ReuniteError> {
        if !self.io.same_socket(&other.io) {
            return Err(ReuniteError(self, other));
        }
        Ok(UnixStream::from_io(other.forget_into_io()))
    }

    /// Reads some bytes; `Ok(0)` at end of stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, right) = UnixStream::pair()?;
    ///     let (mut reader, _writer) = left.into_split();
    ///     drop(right);
    ///     assert_eq!(reader.read(&mut [0; 4]).await?, 0);
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
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let (mut reader, _writer) = left.into_split();
    ///     right.write_all(b"four").await?;
    ///     let mut buf = [0; 4];
    ///     reader.read_exact(&mut buf).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.io.read_exact(buf).await
    }

    /// Waits until the stream is readable.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let (reader, _writer) = left.into_split();
    ///     right.write_all(b"!").await?;
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
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let (reader, _writer) = left.into_split();
    ///     assert!(reader.peer_addr()?.is_unnamed());
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
    ///     let (reader, _writer) = left.into_split();
    ///     assert!(reader.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.socket().local_addr()
    }
}

impl OwnedWriteHalf {
    pub(super) fn new(io: StreamIo<Socket>) -> OwnedWriteHalf {
        OwnedWriteHalf {
            io,
            shutdown_on_drop: true,
        }
    }

    pub(in crate::net) fn stream_io(&self) -> &StreamIo<Socket> {
        &self.io
    }

    /// Records that the write direction is shut down already.
    pub(in crate::net) fn mark_shut_down(&mut self) {
        self.shutdown_on_drop = false;
    }

    fn forget_into_io(mut self) -> StreamIo<Socket> {
        self.shutdown_on_drop = false;
        self.io.clone()
    }

    /// Drops the half without shutting down the write direction.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let (_reader, writer) = left.into_split();
    ///     writer.forget();
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn forget(mut self) {
        self.shutdown_on_drop = false;
    }

    /// Writes some of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let (_reader, mut writer) = left.into_split();
    ///     assert_eq!(writer.write(b"hey").await?, 3);
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
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let (_reader, mut writer) = left.into_split();
    ///     writer.write_all(b"whole").await?;
    ///     let mut buf = [0; 5];
    ///     right.read_exact(&mut buf).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.io.write_all(buf).await
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
    ///     let (_reader, writer) = left.into_split();
    ///     writer.writable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.registered().writable().await
    }

    /// Shuts down the write direction now; the read half keeps reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let (_reader, mut writer) = left.into_split();
    ///     writer.shutdown()?;
    ///     assert_eq!(right.read(&mut [0; 1]).await?, 0);
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
    /// use deli::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let (_reader, writer) = left.into_split();
    ///     assert!(writer.peer_addr()?.is_unnamed());
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
    ///     let (_reader, writer) = left.into_split();
    ///     assert!(writer.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.socket().local_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may have gone already; there is no one to tell.
            let _ = self.io.shutdown(Shutdown::Write);
        }
    }
}

impl fmt::Debug for OwnedReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReadHalf")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl fmt::Debug for OwnedWriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

impl fmt::Debug for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReuniteError(..)")
    }
}

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves that are not from the same stream")
    }
}

impl Error for ReuniteError {}
