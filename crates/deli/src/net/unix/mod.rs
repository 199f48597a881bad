//! Unix-domain sockets: [`UnixListener`] and [`UnixStream`] (with its owned
//! halves [`OwnedReadHalf`] / [`OwnedWriteHalf`], the generic halves of
//! [`crate::net::split`] over [`UnixStream`]) for byte streams,
//! [`UnixDatagram`] for messages. Built on [`crate::io::Async`] over
//! `mio`'s Unix socket types; addresses are `std`'s
//! [`SocketAddr`](std::os::unix::net::SocketAddr).

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use stream::{Unix, UnixStream};

/// The reading half of a [`UnixStream`], from [`UnixStream::into_split`]:
/// [`split::OwnedReadHalf`](crate::net::split::OwnedReadHalf) for Unix
/// sockets.
///
/// # Examples
///
/// ```
/// use deli::net::{unix::OwnedReadHalf, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, mut right) = UnixStream::pair()?;
///     let (mut reader, _writer): (OwnedReadHalf, _) = left.into_split();
///     right.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     reader.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok(())
/// })
/// # }
/// ```
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<Unix>;

/// The writing half of a [`UnixStream`], from [`UnixStream::into_split`]:
/// [`split::OwnedWriteHalf`](crate::net::split::OwnedWriteHalf) for Unix
/// sockets. Dropping it shuts down the write direction.
///
/// # Examples
///
/// ```
/// use deli::net::{unix::OwnedWriteHalf, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, mut right) = UnixStream::pair()?;
///     let (_reader, mut writer): (_, OwnedWriteHalf) = left.into_split();
///     writer.write_all(b"bye").await?;
///     drop(writer);
///     let mut buf = [0; 8];
///     assert_eq!(right.read(&mut buf).await?, 3);
///     assert_eq!(right.read(&mut buf).await?, 0);
///     Ok(())
/// })
/// # }
/// ```
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<Unix>;

/// Halves of two different [`UnixStream`]s given to
/// [`OwnedReadHalf::reunite`](crate::net::split::OwnedReadHalf::reunite):
/// [`split::ReuniteError`](crate::net::split::ReuniteError) for Unix
/// sockets.
///
/// # Examples
///
/// ```
/// use deli::net::{unix::ReuniteError, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, right) = UnixStream::pair()?;
///     let (read_left, _write_left) = left.into_split();
///     let (_read_right, write_right) = right.into_split();
///     let mismatch: ReuniteError = read_left.reunite(write_right).unwrap_err();
///     drop(mismatch);
///     let (reader, writer) = UnixStream::pair()?.0.into_split();
///     let _whole: UnixStream = reader.reunite(writer).map_err(std::io::Error::other)?;
///     Ok(())
/// })
/// # }
/// ```
pub type ReuniteError = crate::net::split::ReuniteError<Unix>;
