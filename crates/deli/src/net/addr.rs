//! Turning what a caller names — a socket address, `"host:port"`, a
//! `(host, port)` pair — into socket addresses. Literal addresses are parsed
//! on the spot; host names are looked up with the system resolver on the
//! blocking pool ([`spawn_blocking`](crate::spawn_blocking)), because that
//! lookup blocks and must never stall a worker.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Something that names one or more socket addresses: what
/// [`TcpStream::connect`](super::TcpStream::connect),
/// [`TcpListener::bind`](super::TcpListener::bind), the
/// [`UdpSocket`](super::UdpSocket) methods and [`lookup_host`] accept.
///
/// Implemented for [`SocketAddr`] (and its V4/V6 forms), `(IpAddr, u16)`
/// (and the V4/V6 forms), `str` and `String` in `"host:port"` form,
/// `(&str, u16)` and `(String, u16)`, slices of [`SocketAddr`], and
/// references to any of these. Sealed: deli decides how each resolves, so
/// that a literal address never costs a trip to the blocking pool.
///
/// # Examples
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let literal: Vec<SocketAddr> = deli::net::lookup_host("127.0.0.1:80").await?.collect();
///     let pair: Vec<SocketAddr> = deli::net::lookup_host((Ipv4Addr::LOCALHOST, 80)).await?.collect();
///     assert_eq!(literal, pair);
///     Ok(())
/// })
/// # }
/// ```
pub trait ToSocketAddrs: sealed::Resolve {}

pub(crate) mod sealed {
    use std::io;
    use std::net::SocketAddr;

    /// How an address argument turns into socket addresses.
    pub trait Resolve {
        /// Parses literal addresses at once; names a host to look up otherwise.
        fn resolve(&self) -> Resolution;
    }

    /// The outcome of [`Resolve::resolve`].
    #[derive(Debug)]
    pub enum Resolution {
        /// Nothing to look up.
        Done(io::Result<Vec<SocketAddr>>),
        /// A `"host:port"` to hand to the system resolver.
        Lookup(String),
        /// A host and a port to hand to the system resolver.
        LookupPair(String, u16),
    }
}

use sealed::{Resolution, Resolve};

/// Resolves `host` to its socket addresses, looking names up on the
/// blocking pool (literal addresses need no lookup).
///
/// Fails with the resolver's error, with [`InvalidInput`](io::ErrorKind::InvalidInput)
/// for a string that is not `host:port`, or with kind
/// [`Other`](io::ErrorKind::Other) if the blocking pool could not run the
/// lookup (the runtime is shutting down).
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let addrs: Vec<_> = deli::net::lookup_host(("localhost", 8080)).await?.collect();
///     assert!(addrs.iter().all(|addr| addr.port() == 8080 && addr.ip().is_loopback()));
///     Ok(())
/// })
/// # }
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<std::vec::IntoIter<SocketAddr>> {
    resolve(&host).await.map(Vec::into_iter)
}

/// [`lookup_host`] without the iterator.
pub(super) async fn resolve<A: ToSocketAddrs + ?Sized>(addr: &A) -> io::Result<Vec<SocketAddr>> {
    finish(addr.resolve()).await
}

/// Finishes a [`Resolution`] taken earlier (literals are done already;
/// names are looked up on the blocking pool).
pub(crate) async fn finish(resolution: Resolution) -> io::Result<Vec<SocketAddr>> {
    let lookup = match resolution {
        Resolution::Done(addrs) => return addrs,
        Resolution::Lookup(host_port) => {
            crate::spawn_blocking(move || std_lookup(host_port.as_str()))
        }
        Resolution::LookupPair(host, port) => {
            crate::spawn_blocking(move || std_lookup((host.as_str(), port)))
        }
    };
    lookup.await.map_err(io::Error::other)?
}

fn std_lookup(addr: impl std::net::ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    addr.to_socket_addrs().map(Iterator::collect)
}

/// Tries `attempt` on each address in turn and returns the first success,
/// or the last error (an [`InvalidInput`](io::ErrorKind::InvalidInput) one
/// when there was no address at all).
pub(super) async fn first_success<T, F: std::future::Future<Output = io::Result<T>>>(
    addrs: Vec<SocketAddr>,
    mut attempt: impl FnMut(SocketAddr) -> F,
) -> io::Result<T> {
    let mut last_error = None;
    for addr in addrs {
        match attempt(addr).await {
            Ok(value) => return Ok(value),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

fn done(addr: impl Into<SocketAddr>) -> Resolution {
    Resolution::Done(Ok(vec![addr.into()]))
}

macro_rules! literal_address {
    ($($ty:ty),* $(,)?) => {$(
        impl ToSocketAddrs for $ty {}
        impl Resolve for $ty {
            fn resolve(&self) -> Resolution {
                done(*self)
            }
        }
    )*};
}

literal_address!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
);

impl ToSocketAddrs for [SocketAddr] {}
impl Resolve for [SocketAddr] {
    fn resolve(&self) -> Resolution {
        Resolution::Done(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for str {}
impl Resolve for str {
    fn resolve(&self) -> Resolution {
        match self.parse::<SocketAddr>() {
            Ok(addr) => done(addr),
            Err(_) => Resolution::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl Resolve for String {
    fn resolve(&self) -> Resolution {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Resolve for (&str, u16) {
    fn resolve(&self) -> Resolution {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => done((ip, port)),
            Err(_) => Resolution::LookupPair(host.to_owned(), port),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Resolve for (String, u16) {
    fn resolve(&self) -> Resolution {
        (self.0.as_str(), self.1).resolve()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Resolve + ?Sized> Resolve for &T {
    fn resolve(&self) -> Resolution {
        (**self).resolve()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn literals_resolve_without_a_lookup() {
        let expected: SocketAddr = "127.0.0.1:7".parse().unwrap();
        for resolution in [
            "127.0.0.1:7".resolve(),
            ("127.0.0.1", 7).resolve(),
            (Ipv4Addr::LOCALHOST, 7).resolve(),
            expected.resolve(),
            [expected][..].resolve(),
        ] {
            match resolution {
                Resolution::Done(Ok(addrs)) => assert_eq!(addrs, vec![expected]),
                other => panic!("expected a literal, got {other:?}"),
            }
        }
    }

    #[test]
    fn names_are_looked_up() {
        assert!(matches!(
            "localhost:80".resolve(),
            Resolution::Lookup(host) if host == "localhost:80"
        ));
        assert!(matches!(
            ("localhost".to_owned(), 80).resolve(),
            Resolution::LookupPair(host, 80) if host == "localhost"
        ));
    }
}
