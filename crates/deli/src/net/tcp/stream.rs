//! TCP's kind of [`Stream`]: [`TcpStream`], and what only TCP streams do
//! (connect to an address, peek, `TCP_NODELAY`, TTL).

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::net::addr::{first_success, resolve};
use crate::net::stream::Stream;
use crate::net::ToSocketAddrs;

/// The TCP kind of [`Stream`] and [`Listener`](crate::net::listener::Listener):
/// `Stream<Tcp>` is [`TcpStream`], `Listener<Tcp>` is
/// [`TcpListener`](crate::net::TcpListener).
#[derive(Debug)]
pub enum Tcp {}

crate::net::stream::stream_kind!(Tcp {
    names: "TcpStream", "TcpListener";
    mio: mio::net::TcpStream, mio::net::TcpListener;
    std: std::net::TcpStream, std::net::TcpListener;
    addr: SocketAddr;
});

/// A TCP connection: a [`Stream`] of the [`Tcp`] kind, with every method
/// of `Stream` and the TCP ones below.
///
/// # Examples
///
/// ```
/// use deli::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.set_nodelay(true)?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok(())
/// })
/// # }
/// ```
pub type TcpStream = Stream<Tcp>;

impl Stream<Tcp> {
    /// Connects to `addr`: each of its addresses in turn until one accepts
    /// (host names are resolved on the blocking pool, never on a worker).
    ///
    /// Fails with the OS error of the last address tried, e.g.
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused); with
    /// [`InvalidInput`](io::ErrorKind::InvalidInput) if `addr` resolves to
    /// nothing; with kind [`Other`](io::ErrorKind::Other) outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let port = listener.local_addr()?.port();
    ///     // By address, or by name: "localhost" is looked up off the workers.
    ///     let by_addr = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(by_addr.peer_addr()?.port(), port);
    ///     drop(listener);
    ///     let refused = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
    ///     assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let addrs = resolve(&addr).await?;
        first_success(addrs, Self::connect_addr).await
    }

    /// [`connect`](Self::connect), given up after `timeout` (name lookup
    /// included) with an error of kind [`TimedOut`](io::ErrorKind::TimedOut).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect_timeout(addr, Duration::from_secs(5)).await?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> io::Result<TcpStream> {
        match crate::time::timeout(timeout, Self::connect(addr)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect did not finish within {timeout:?}"),
            )),
        }
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(addr)?)?;
        stream.stream_io().finish_connect().await?;
        Ok(stream)
    }

    /// Reads bytes into `buf` without consuming them: the next read sees
    /// them again.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::{TcpListener, TcpStream};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"x").await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(client.peek(&mut buf).await?, 1);
    ///     assert_eq!(client.read(&mut buf).await?, 1);
    ///     assert_eq!(&buf, b"x");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let registered = self.stream_io().registered();
        poll_fn(|cx| registered.poll_read_with(cx, |stream| stream.peek(&mut *buf))).await
    }

    /// Turns Nagle's algorithm off (`true`) or on: with `TCP_NODELAY` set,
    /// small writes are sent at once instead of being held back to coalesce.
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
    ///     client.set_nodelay(true)?;
    ///     assert!(client.nodelay()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.stream_io().socket().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set; see [`set_nodelay`](Self::set_nodelay).
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
    ///     assert!(!client.nodelay()?); // the OS default
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.stream_io().socket().nodelay()
    }

    /// Sets the IP time-to-live of this connection's packets.
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
    ///     client.set_ttl(7)?;
    ///     assert_eq!(client.ttl()?, 7);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.stream_io().socket().set_ttl(ttl)
    }

    /// The IP time-to-live; see [`set_ttl`](Self::set_ttl).
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
    ///     assert!(client.ttl()? > 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.stream_io().socket().ttl()
    }
}
