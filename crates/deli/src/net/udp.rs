//! UDP's kind of [`Datagram`]: [`UdpSocket`], and what only UDP sockets do
//! (bind and connect to addresses, send to one, peek, broadcast, TTL).

use std::io;
use std::net::SocketAddr;

use super::addr::{first_success, resolve};
use super::datagram::Datagram;
use super::ToSocketAddrs;

/// The UDP kind of [`Datagram`]: `Datagram<Udp>` is [`UdpSocket`].
#[derive(Debug)]
pub enum Udp {}

crate::net::datagram::datagram_kind!(Udp {
    name: "UdpSocket";
    mio: mio::net::UdpSocket;
    std: std::net::UdpSocket;
    addr: SocketAddr;
});

/// A UDP socket: datagrams to and from any address, or to and from one
/// peer after [`connect`](Datagram::connect). A [`Datagram`] of the [`Udp`]
/// kind, with every method of `Datagram` and the UDP ones below.
///
/// Methods take `&self`, so one socket can be shared (behind an `Arc`) by a
/// receiving task and a sending task; the reactor wakes one receiver and
/// one sender at a time, so do not receive (or send) from two tasks at once.
///
/// # Examples
///
/// ```
/// use deli::net::UdpSocket;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let ping = UdpSocket::bind("127.0.0.1:0").await?;
///     let pong = UdpSocket::bind("127.0.0.1:0").await?;
///     ping.send_to(b"ping", pong.local_addr()?).await?;
///     let mut buf = [0; 4];
///     let (n, from) = pong.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], ping.local_addr()?));
///     pong.send_to(b"pong", from).await?;
///     let (n, _) = ping.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"pong");
///     Ok(())
/// })
/// # }
/// ```
pub type UdpSocket = Datagram<Udp>;

impl Datagram<Udp> {
    /// A socket bound to `addr` (the first of its addresses that works).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let addrs = resolve(&addr).await?;
        first_success(addrs, |addr| async move {
            UdpSocket::from_mio(mio::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    /// Sets the default destination of [`send`](Self::send) and the only
    /// source [`recv`](Self::recv) accepts (the first of `addr`'s
    /// addresses that works).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs = resolve(&addr).await?;
        let socket = self.registered().get_ref();
        first_success(addrs, |addr| async move { socket.connect(addr) }).await
    }

    /// Sends `buf` as one datagram to `target` (its first address; host
    /// names are resolved on the blocking pool).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.send_to(b"to b", b.local_addr()?).await?, 4);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve(&target).await?.into_iter().next().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "could not resolve to any address",
            )
        })?;
        self.registered()
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Receives one datagram without removing it from the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     let b = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.send_to(b"again", b.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let (peeked, _) = b.peek_from(&mut buf).await?;
    ///     let (read, _) = b.recv_from(&mut buf).await?;
    ///     assert_eq!(peeked, read);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.registered()
            .read_with(|socket| socket.peek_from(&mut *buf))
            .await
    }

    /// Allows (`true`) or forbids sending to broadcast addresses.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.set_broadcast(true)?;
    ///     assert!(a.broadcast()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.registered().get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(!a.broadcast()?);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.registered().get_ref().broadcast()
    }

    /// Sets the IP time-to-live of outgoing datagrams.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.set_ttl(9)?;
    ///     assert_eq!(a.ttl()?, 9);
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
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(a.ttl()? > 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.registered().get_ref().ttl()
    }
}
