//! [`Listener`]: a bound, listening stream socket whose `accept` waits on
//! the reactor — one implementation for every [`StreamKind`]. The kinds
//! keep their own names, [`TcpListener`](super::TcpListener) and
//! [`UnixListener`](super::UnixListener), and their own `bind`.
//!
//! Uses `stream` (the kinds, and the streams it accepts) and `crate::io`.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use super::stream::{Stream, StreamKind};
use crate::io::Async;

/// A socket of kind `K` listening for connections: a
/// [`TcpListener`](super::TcpListener) or a
/// [`UnixListener`](super::UnixListener), the names to use.
///
/// `accept` takes `&self`, but the reactor wakes one waiting acceptor per
/// listener: accept from one task at a time (hand accepted streams to other
/// tasks with [`spawn`](crate::spawn)).
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
///     let (server_side, peer) = listener.accept().await?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server_side.peer_addr()?, client.local_addr()?);
///     Ok(())
/// })
/// # }
/// ```
pub struct Listener<K: StreamKind> {
    io: Async<K::Listener>,
}

impl<K: StreamKind> Listener<K> {
    /// Registers a bound, listening `mio` socket with the current runtime.
    pub(in crate::net) fn from_mio(listener: K::Listener) -> io::Result<Listener<K>> {
        Ok(Listener {
            io: Async::new(listener)?,
        })
    }

    pub(in crate::net) fn registered(&self) -> &Async<K::Listener> {
        &self.io
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let client = deli::spawn(async move { TcpStream::connect(addr).await });
    ///     let (_stream, peer) = listener.accept().await?;
    ///     assert!(peer.ip().is_loopback());
    ///     client.await.map_err(std::io::Error::other)??;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn accept(&self) -> io::Result<(Stream<K>, K::Addr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The `Context` form of [`accept`](Self::accept), for hand-written
    /// futures and streams of connections.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Stream<K>, K::Addr)>> {
        let (stream, peer) = std::task::ready!(self.io.poll_read_with(cx, K::accept))?;
        Poll::Ready(Stream::from_mio(stream).map(|stream| (stream, peer)))
    }

    /// The address the listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        K::listener_addr(self.io.get_ref())
    }

    /// Adopts a listener made by `std` (switching it to non-blocking mode)
    /// and registers it with the current runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let addr = std_listener.local_addr()?;
    /// deli::run(async {
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     assert_eq!(listener.local_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(listener: K::StdListener) -> io::Result<Listener<K>> {
        Listener::from_mio(K::listener_from_std(listener)?)
    }

    /// Deregisters the listener and returns it as a `std` listener in
    /// blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_listener = deli::run(async {
    ///     TcpListener::bind("127.0.0.1:0").await?.into_std()
    /// })?;
    /// assert!(std_listener.local_addr()?.ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<K::StdListener> {
        K::listener_into_std(self.io.into_inner()?)
    }
}

super::fd::socket_impls!(Listener<K: StreamKind>, |this| this.io.get_ref().as_fd(), debug: K::LISTENER_NAME => [local_addr]);
