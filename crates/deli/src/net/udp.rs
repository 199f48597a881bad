//! [`UdpSocket`]: a UDP socket on the reactor.

use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use super::addr::{first_success, resolve};
use super::ToSocketAddrs;
use crate::io::Async;

/// A UDP socket: datagrams to and from any address, or to and from one
/// peer after [`connect`](Self::connect).
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
pub struct UdpSocket {
    io: Async<mio::net::UdpSocket>,
}

impl UdpSocket {
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
            Ok(UdpSocket {
                io: Async::new(mio::net::UdpSocket::bind(addr)?)?,
            })
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
        let socket = self.io.get_ref();
        first_success(addrs, |addr| async move { socket.connect(addr) }).await
    }

    /// Sends `buf` as one datagram to the connected peer.
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
    ///     assert_eq!(a.send(b"hi").await?, 2);
    ///     assert_eq!(b.recv(&mut [0; 8]).await?, 2);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|socket| socket.send(buf)).await
    }

    /// Receives one datagram from the connected peer (or from anyone if not
    /// connected); a datagram longer than `buf` is cut to its length.
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
    ///     a.send_to(b"datagram", b.local_addr()?).await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.recv(&mut buf).await?, 4);
    ///     assert_eq!(&buf, b"data");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|socket| socket.recv(&mut *buf)).await
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
        self.io
            .write_with(|socket| socket.send_to(buf, target))
            .await
    }

    /// Receives one datagram and the address it came from.
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
    ///     a.send_to(b"who", b.local_addr()?).await?;
    ///     let (n, from) = b.recv_from(&mut [0; 8]).await?;
    ///     assert_eq!((n, from), (3, a.local_addr()?));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .read_with(|socket| socket.recv_from(&mut *buf))
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
        self.io
            .read_with(|socket| socket.peek_from(&mut *buf))
            .await
    }

    /// Waits until a datagram can be received (or an error is pending).
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
    ///     a.send_to(b"!", b.local_addr()?).await?;
    ///     b.readable().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until a datagram can be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     a.writable().await?;
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
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(a.local_addr()?.ip().is_loopback());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer; an error of kind
    /// [`NotConnected`](io::ErrorKind::NotConnected) if there is none.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_eq!(a.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
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
        self.io.get_ref().set_broadcast(on)
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
        self.io.get_ref().broadcast()
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
        self.io.get_ref().set_ttl(ttl)
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
        self.io.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any — for a
    /// connected socket, e.g. a refusal reported by ICMP.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let a = UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(a.take_error()?.is_none());
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
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let addr = std_socket.local_addr()?;
    /// deli::run(async {
    ///     let socket = UdpSocket::from_std(std_socket)?;
    ///     assert_eq!(socket.local_addr()?, addr);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: Async::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Deregisters the socket and returns it as a `std` socket in blocking
    /// mode.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UdpSocket;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let std_socket = deli::run(async { UdpSocket::bind("127.0.0.1:0").await?.into_std() })?;
    /// assert!(std_socket.local_addr()?.ip().is_loopback());
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let socket = std::net::UdpSocket::from(OwnedFd::from(self.io.into_inner()?));
        socket.set_nonblocking(false)?;
        Ok(socket)
    }
}

crate::net::fd::socket_impls!(UdpSocket, |this| this.io.get_ref(), debug: [local_addr]);
