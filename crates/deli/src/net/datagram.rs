//! [`Datagram`]: a message socket on the reactor — one implementation for
//! every kind ([`DatagramKind`]: [`Udp`](super::udp::Udp),
//! [`Unix`](super::unix::Unix)). The kinds keep their own names,
//! [`UdpSocket`](super::UdpSocket) and [`UnixDatagram`](super::UnixDatagram),
//! and their own methods (`bind`, `connect`, `send_to`, …) beside the ones
//! here.
//!
//! Uses `crate::io`.

use std::fmt;
use std::io;

use crate::io::Async;

pub(super) mod sealed {
    use std::io;

    use super::DatagramKind;

    /// What a [`Datagram`](super::Datagram) needs of its kind; sealed as
    /// for streams.
    pub trait Sealed: Sized {
        /// The `mio` socket under the datagram socket.
        type DatagramSocket: mio::event::Source + std::os::fd::AsFd;
        /// The type's name, for `Debug`.
        const DATAGRAM_NAME: &'static str;
        /// One non-blocking send to the connected peer.
        fn send(socket: &Self::DatagramSocket, buf: &[u8]) -> io::Result<usize>;
        /// One non-blocking receive from the connected peer.
        fn recv(socket: &Self::DatagramSocket, buf: &mut [u8]) -> io::Result<usize>;
        /// One non-blocking receive, with the sender's address.
        fn recv_from(
            socket: &Self::DatagramSocket,
            buf: &mut [u8],
        ) -> io::Result<(usize, <Self as DatagramKind>::Addr)>
        where
            Self: DatagramKind;
        /// The address of the connected peer.
        fn peer_addr(socket: &Self::DatagramSocket) -> io::Result<<Self as DatagramKind>::Addr>
        where
            Self: DatagramKind;
        /// The address the socket is bound to.
        fn local_addr(socket: &Self::DatagramSocket) -> io::Result<<Self as DatagramKind>::Addr>
        where
            Self: DatagramKind;
        /// Takes the pending socket error (`SO_ERROR`), if any.
        fn take_error(socket: &Self::DatagramSocket) -> io::Result<Option<io::Error>>;
        /// A `std` socket, switched to non-blocking mode.
        fn socket_from_std(socket: <Self as DatagramKind>::Std) -> io::Result<Self::DatagramSocket>
        where
            Self: DatagramKind;
        /// The socket as a `std` socket in blocking mode.
        fn socket_into_std(socket: Self::DatagramSocket) -> io::Result<<Self as DatagramKind>::Std>
        where
            Self: DatagramKind;
    }
}

/// A kind of datagram socket: [`Udp`](super::udp::Udp) or
/// [`Unix`](super::unix::Unix). Sealed: these are the only ones.
///
/// # Examples
///
/// ```
/// use deli::net::datagram::{Datagram, DatagramKind};
///
/// // Code for any kind of datagram socket.
/// async fn ping<K: DatagramKind>(socket: &Datagram<K>) -> std::io::Result<usize> {
///     socket.send(b"ping").await
/// }
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, right) = deli::net::UnixDatagram::pair()?;
///     assert_eq!(ping(&left).await?, 4);
///     let mut buf = [0; 4];
///     assert_eq!(right.recv(&mut buf).await?, 4);
///     Ok(())
/// })
/// # }
/// ```
pub trait DatagramKind: sealed::Sealed {
    /// The address of either end: [`std::net::SocketAddr`] for UDP,
    /// [`std::os::unix::net::SocketAddr`] for Unix sockets.
    type Addr: fmt::Debug;
    /// The `std` socket of this kind (`std::net::UdpSocket`,
    /// `std::os::unix::net::UnixDatagram`).
    type Std;
}

/// Declares a kind of datagram socket from its `mio` and `std` types,
/// which have the same methods for every kind.
macro_rules! datagram_kind {
    ($kind:ident { name: $name:literal; mio: $socket:ty; std: $std:ty; addr: $addr:ty $(;)? }) => {
        impl $crate::net::datagram::DatagramKind for $kind {
            type Addr = $addr;
            type Std = $std;
        }

        impl $crate::net::datagram::sealed::Sealed for $kind {
            type DatagramSocket = $socket;
            const DATAGRAM_NAME: &'static str = $name;

            $crate::net::fd::one_line_fns! {
                fn send(socket: &$socket, buf: &[u8]) -> std::io::Result<usize> = socket.send(buf);
                fn recv(socket: &$socket, buf: &mut [u8]) -> std::io::Result<usize> =
                    socket.recv(buf);
                fn recv_from(socket: &$socket, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> =
                    socket.recv_from(buf);
                fn peer_addr(socket: &$socket) -> std::io::Result<$addr> = socket.peer_addr();
                fn local_addr(socket: &$socket) -> std::io::Result<$addr> = socket.local_addr();
                fn take_error(socket: &$socket) -> std::io::Result<Option<std::io::Error>> =
                    socket.take_error();
                fn socket_from_std(socket: $std) -> std::io::Result<$socket> =
                    $crate::net::fd::std_to_mio(socket, <$socket>::from_std);
                fn socket_into_std(socket: $socket) -> std::io::Result<$std> =
                    $crate::net::fd::mio_to_std(socket);
            }
        }
    };
}

pub(super) use datagram_kind;

/// A datagram socket of kind `K`: a [`UdpSocket`](super::UdpSocket) or a
/// [`UnixDatagram`](super::UnixDatagram), the names to use.
///
/// Every method takes `&self`: share the socket (in an `Arc`) between a
/// task that sends and one that receives. The reactor keeps one reader and
/// one writer waker per socket, so at most one task should wait to receive,
/// and one to send, at a time.
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
///     a.send_to(b"hello", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
///     Ok(())
/// })
/// # }
/// ```
pub struct Datagram<K: DatagramKind> {
    io: Async<K::DatagramSocket>,
}

impl<K: DatagramKind> Datagram<K> {
    /// Registers a `mio` socket with the current runtime.
    pub(in crate::net) fn from_mio(socket: K::DatagramSocket) -> io::Result<Datagram<K>> {
        Ok(Datagram {
            io: Async::new(socket)?,
        })
    }

    pub(in crate::net) fn registered(&self) -> &Async<K::DatagramSocket> {
        &self.io
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
        self.io.write_with(|socket| K::send(socket, buf)).await
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
        self.io.read_with(|socket| K::recv(socket, &mut *buf)).await
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
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, K::Addr)> {
        self.io
            .read_with(|socket| K::recv_from(socket, &mut *buf))
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
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        K::local_addr(self.io.get_ref())
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
    pub fn peer_addr(&self) -> io::Result<K::Addr> {
        K::peer_addr(self.io.get_ref())
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
        K::take_error(self.io.get_ref())
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
    pub fn from_std(socket: K::Std) -> io::Result<Datagram<K>> {
        Datagram::from_mio(K::socket_from_std(socket)?)
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
    pub fn into_std(self) -> io::Result<K::Std> {
        K::socket_into_std(self.io.into_inner()?)
    }
}

super::fd::socket_impls!(Datagram<K: DatagramKind>, |this| this.io.get_ref().as_fd(), debug: K::DATAGRAM_NAME => [local_addr]);
