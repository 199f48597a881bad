//! [`TcpListener`]: the TCP kind of [`Listener`], and what only TCP
//! listeners do (bind to an address, TTL).

use std::io;

use super::Tcp;
use crate::net::addr::{first_success, resolve};
use crate::net::listener::Listener;
use crate::net::ToSocketAddrs;

/// A TCP socket listening for connections: a [`Listener`] of the [`Tcp`]
/// kind, with every method of `Listener` and the TCP ones below.
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
pub type TcpListener = Listener<Tcp>;

impl Listener<Tcp> {
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
            TcpListener::from_mio(mio::net::TcpListener::bind(addr)?)
        })
        .await
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
        self.registered().get_ref().set_ttl(ttl)
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
        self.registered().get_ref().ttl()
    }
}
