//! [`UnixDatagram`]: a Unix-domain datagram socket on the reactor.

use std::io;
use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::Async;

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
pub struct UnixDatagram {
    io: Async<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    fn from_mio(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Async::new(socket)?,
        })
    }

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
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` as one message to the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixDatagram::pair()?;
    ///     assert_eq!(left.send(b"msg").await?, 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one message from the connected peer; a message longer than
    /// `buf` is cut to its length.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, right) = UnixDatagram::pair()?;
    ///     left.send(b"message").await?;
    ///     let mut buf = [0; 3];
    ///     assert_eq!(right.recv(&mut buf).await?, 3);
    ///     assert_eq!(&buf, b"mes");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(&mut *buf)).await
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
        self.io.write_with(|socket| socket.send_to(buf, path)).await
    }

    /// Receives one message and the address it came from.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, right) = UnixDatagram::pair()?;
    ///     left.send(b"from left").await?;
    ///     let mut buf = [0; 16];
    ///     let (n, from) = right.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"from left");
    ///     assert!(from.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .read_with(|socket| socket.recv_from(&mut *buf))
            .await
    }

    /// Waits until a message can be received (or an error is pending).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, right) = UnixDatagram::pair()?;
    ///     left.send(b"!").await?;
    ///     right.readable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until a message can be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixDatagram::pair()?;
    ///     left.writable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// The address this socket is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixDatagram::pair()?;
    ///     assert!(left.local_addr()?.is_unnamed());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixDatagram::pair()?;
    ///     assert!(left.peer_addr()?.is_unnamed());
    ///     assert!(UnixDatagram::unbound()?.peer_addr().is_err()); // not connected
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
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
        self.io.get_ref().shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixDatagram::pair()?;
    ///     assert!(left.take_error()?.is_none());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Adopts a `std` socket (switching it to non-blocking mode) and
    /// registers it with the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (left, right) = std::os::unix::net::UnixDatagram::pair()?;
    /// deli::run(async {
    ///     let left = UnixDatagram::from_std(left)?;
    ///     right.send(b"std")?;
    ///     assert_eq!(left.recv(&mut [0; 4]).await?, 3);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::from_std(socket))
    }

    /// Deregisters the socket and returns it as a `std` socket in blocking
    /// mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixDatagram;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (left, right) = deli::run(async {
    ///     let (left, right) = UnixDatagram::pair()?;
    ///     Ok::<_, std::io::Error>((left.into_std()?, right.into_std()?))
    /// })?;
    /// left.send(b"sync")?;
    /// assert_eq!(right.recv(&mut [0; 4])?, 4);
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        let socket = std::os::unix::net::UnixDatagram::from(OwnedFd::from(self.io.into_inner()?));
        socket.set_nonblocking(false)?;
        Ok(socket)
    }
}

crate::net::fd::socket_impls!(UnixDatagram, |this| this.io.get_ref(), debug: [local_addr]);
