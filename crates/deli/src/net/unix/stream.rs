//! Unix sockets' kind of [`Stream`]: [`UnixStream`], and what only Unix
//! streams do (connect to a path, make a connected pair).

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::net::stream::Stream;

/// The Unix-socket kind of [`Stream`] and
/// [`Listener`](crate::net::listener::Listener): `Stream<Unix>` is
/// [`UnixStream`], `Listener<Unix>` is [`UnixListener`](crate::net::UnixListener).
#[derive(Debug)]
pub enum Unix {}

crate::net::stream::stream_kind!(Unix {
    names: "UnixStream", "UnixListener";
    mio: mio::net::UnixStream, mio::net::UnixListener;
    std: std::os::unix::net::UnixStream, std::os::unix::net::UnixListener;
    addr: SocketAddr;
});

/// A Unix-domain stream connection.
///
/// Reading and writing take `&mut self`; [`into_split`](Stream::into_split)
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
pub type UnixStream = Stream<Unix>;

impl Stream<Unix> {
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
        stream.stream_io().finish_connect().await?;
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
}
