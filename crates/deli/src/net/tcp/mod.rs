//! TCP: [`TcpListener`] accepts connections, [`TcpStream`] is one, and
//! [`OwnedReadHalf`] / [`OwnedWriteHalf`] are a stream split for two tasks
//! (the generic halves of [`crate::net::split`] for the [`Tcp`] kind).
//! Built on [`crate::io::Async`] over `mio`'s TCP types; name resolution
//! comes from `super::addr`.

mod listener;
mod stream;

pub use listener::TcpListener;
pub use stream::{Tcp, TcpStream};

/// The reading half of a [`TcpStream`], from [`TcpStream::into_split`]:
/// [`split::OwnedReadHalf`](crate::net::split::OwnedReadHalf) for TCP.
///
/// # Examples
///
/// ```
/// use deli::net::{tcp::OwnedReadHalf, TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (mut reader, _writer): (OwnedReadHalf, _) = client.into_split();
///     server.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     reader.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok(())
/// })
/// # }
/// ```
pub type OwnedReadHalf = crate::net::split::OwnedReadHalf<Tcp>;

/// The writing half of a [`TcpStream`], from [`TcpStream::into_split`]:
/// [`split::OwnedWriteHalf`](crate::net::split::OwnedWriteHalf) for TCP.
/// Dropping it shuts down the write direction.
///
/// # Examples
///
/// ```
/// use deli::net::{tcp::OwnedWriteHalf, TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     let (_reader, mut writer): (_, OwnedWriteHalf) = client.into_split();
///     writer.write_all(b"bye").await?;
///     drop(writer);
///     let mut buf = [0; 8];
///     assert_eq!(server.read(&mut buf).await?, 3);
///     assert_eq!(server.read(&mut buf).await?, 0); // end of stream
///     Ok(())
/// })
/// # }
/// ```
pub type OwnedWriteHalf = crate::net::split::OwnedWriteHalf<Tcp>;

/// Halves of two different [`TcpStream`]s given to
/// [`OwnedReadHalf::reunite`](crate::net::split::OwnedReadHalf::reunite):
/// [`split::ReuniteError`](crate::net::split::ReuniteError) for TCP.
///
/// # Examples
///
/// ```
/// use deli::net::{tcp::ReuniteError, TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let (read_a, _write_a) = TcpStream::connect(listener.local_addr()?).await?.into_split();
///     let (_read_b, write_b) = TcpStream::connect(listener.local_addr()?).await?.into_split();
///     let mismatch: ReuniteError = read_a.reunite(write_b).unwrap_err();
///     let (_read_a, _write_b) = (mismatch.0, mismatch.1);
///     Ok(())
/// })
/// # }
/// ```
pub type ReuniteError = crate::net::split::ReuniteError<Tcp>;
