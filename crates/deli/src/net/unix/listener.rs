//! [`UnixListener`]: a Unix-domain stream socket bound to a path, whose
//! `accept` waits on the reactor.

use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::UnixStream;
use crate::io::Async;

/// A Unix-domain socket listening for connections.
///
/// As with [`TcpListener`](crate::net::TcpListener), accept from one task
/// at a time. The socket file is not removed when the listener is dropped.
///
/// # Examples
///
/// ```
/// use deli::net::{UnixListener, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("deli-doc-listener-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// deli::run(async {
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello");
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_file(&path)
/// # }
/// ```
pub struct UnixListener {
    io: Async<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds a listener to the socket file `path`, which must not exist.
    ///
    /// Fails with the OS error ([`AddrInUse`](io::ErrorKind::AddrInUse) if
    /// the file exists), or with kind [`Other`](io::ErrorKind::Other)
    /// outside a deli runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-bind-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let taken = UnixListener::bind(&path).unwrap_err();
    ///     assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: Async::new(mio::net::UnixListener::bind(path)?)?,
        })
    }

    /// Waits for a connection and returns it with the peer's address
    /// (usually unnamed).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-accept-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_server, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The `Context` form of [`accept`](Self::accept).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// use deli::net::{UnixListener, UnixStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-poll-accept-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_server, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, peer) = std::task::ready!(self.io.poll_read_with(cx, |l| l.accept()))?;
        Poll::Ready(UnixStream::from_mio(stream).map(|stream| (stream, peer)))
    }

    /// The address the listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-local-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Adopts a `std` listener (switching it to non-blocking mode) and
    /// registers it with the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-from-std-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    /// deli::run(async {
    ///     let listener = UnixListener::from_std(std_listener)?;
    ///     assert!(listener.local_addr()?.as_pathname().is_some());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Async::new(mio::net::UnixListener::from_std(listener))?,
        })
    }

    /// Deregisters the listener and returns it as a `std` listener in
    /// blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-into-std-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let std_listener = deli::run(async { UnixListener::bind(&path)?.into_std() })?;
    /// assert!(std_listener.local_addr()?.as_pathname().is_some());
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let listener = std::os::unix::net::UnixListener::from(OwnedFd::from(self.io.into_inner()?));
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

crate::net::fd::socket_impls!(UnixListener, |this| this.io.get_ref(), debug: [local_addr]);
