//! [`TcpListener`]: a bound, listening TCP socket whose `accept` waits on
//! the reactor.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::task::{Context, Poll};

use super::TcpStream;
use crate::io::Async;
use crate::net::addr::{first_success, resolve};
use crate::net::ToSocketAddrs;

/// A TCP socket listening for connections.
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
pub struct TcpListener {
    io: Async<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to `addr` (the first of its addresses that works;
    /// host names are resolved on the blocking pool). Port 0 asks the OS for
    /// a free port; [`local_addr`](Self::local_addr) tells which.
    /// `SO_REUSEADDR` is set, as servers usually want.
    ///
    /// Fails with the OS error of the last address tried
    /// ([`AddrInUse`](io::ErrorKind::AddrInUse), ...), or with kind
    /// [`Other`](io::ErrorKind::Other) outside a deli runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let port = listener.local_addr()?.port();
    ///     assert_ne!(port, 0);
    ///     let taken = TcpListener::bind(("127.0.0.1", port)).await;
    ///     assert_eq!(taken.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let addrs = resolve(&addr).await?;
        first_success(addrs, |addr| async move {
            let listener = mio::net::TcpListener::bind(addr)?;
            Ok(TcpListener {
                io: Async::new(listener)?,
            })
        })
        .await
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
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
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
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = std::task::ready!(self.io.poll_read_with(cx, |l| l.accept()))?;
        Poll::Ready(TcpStream::from_mio(stream).map(|stream| (stream, peer)))
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
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted connections' packets.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     listener.set_ttl(42)?;
    ///     assert_eq!(listener.ttl()?, 42);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live; see [`set_ttl`](Self::set_ttl).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::TcpListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     assert!(listener.ttl()? > 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
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
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Async::new(mio::net::TcpListener::from_std(listener))?,
        })
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
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let listener = std::net::TcpListener::from(OwnedFd::from(self.io.into_inner()?));
        listener.set_nonblocking(false)?;
        Ok(listener)
    }
}

crate::net::fd::socket_impls!(TcpListener, |this| this.io.get_ref(), debug: [local_addr]);
