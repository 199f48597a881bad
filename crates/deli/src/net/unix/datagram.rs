//! Unix sockets' kind of [`Datagram`]: [`UnixDatagram`], and what only
//! Unix datagram sockets do (bind to or connect to a path, unbound
//! sockets, pairs, shutdown).

use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use super::Unix;
use crate::net::datagram::Datagram;

crate::net::datagram::datagram_kind!(Unix {
    name: "UnixDatagram";
    mio: mio::net::UnixDatagram;
    std: std::os::unix::net::UnixDatagram;
    addr: SocketAddr;
});

/// A Unix-domain datagram socket: messages, with boundaries kept.
///
/// Methods take `&self`, so one socket can be shared (behind an `Arc`) by a
/// task that receives and a task that sends; the reactor wakes one
/// receiver and one sender at a time, so do not receive (or send) from two
/// tasks at once.
///
/// # Examples
///
/// ```
/// use deli::net::UnixDatagram;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, right) = UnixDatagram::pair()?;
///     left.send(b"one").await?;
///     left.send(b"two").await?;
///     let mut buf = [0; 16];
///     let n = right.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one");
///     let n = right.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"two");
///     Ok(())
/// })
/// # }
/// ```
pub type UnixDatagram = Datagram<Unix>;

impl Datagram<Unix> {
    /// A socket bound to the file `path`, which must not exist.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-dgram-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let bound = UnixDatagram::bind(&path)?;
    ///     let sender = UnixDatagram::unbound()?;
    ///     sender.send_to(b"hi", &path).await?;
    ///     let mut buf = [0; 2];
    ///     let (n, _from) = bound.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no address: it can send, and receive replies only
    /// once [`connect`](Self::connect)ed or through a pair.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let socket = UnixDatagram::unbound()?;
    ///     assert!(socket.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// Two connected, unnamed sockets.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, right) = UnixDatagram::pair()?;
    ///     right.send(b"x").await?;
    ///     assert_eq!(left.recv(&mut [0; 1]).await?, 1);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (left, right) = mio::net::UnixDatagram::pair()?;
        Ok((
            UnixDatagram::from_mio(left)?,
            UnixDatagram::from_mio(right)?,
        ))
    }

    /// Sets the default destination of [`send`](Self::send) and the only
    /// source [`recv`](Self::recv) accepts.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-dgram-connect-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let bound = UnixDatagram::bind(&path)?;
    ///     let sender = UnixDatagram::unbound()?;
    ///     sender.connect(&path)?;
    ///     sender.send(b"hello").await?;
    ///     assert_eq!(bound.recv(&mut [0; 8]).await?, 5);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.registered().get_ref().connect(path)
    }

    /// Sends `buf` as one message to the socket bound at `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-send-to-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let bound = UnixDatagram::bind(&path)?;
    ///     UnixDatagram::unbound()?.send_to(b"note", &path).await?;
    ///     assert_eq!(bound.recv(&mut [0; 8]).await?, 4);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.registered()
            .write_with(|socket| socket.send_to(buf, path))
            .await
    }

    /// Shuts down receiving, sending, or both.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    ///
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixDatagram::pair()?;
    ///     left.shutdown(Shutdown::Write)?;
    ///     let refused = left.send(b"late").await.unwrap_err();
    ///     assert_eq!(refused.kind(), std::io::ErrorKind::BrokenPipe);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.registered().get_ref().shutdown(how)
    }
}
