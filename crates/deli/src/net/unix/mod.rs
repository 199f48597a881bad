//! Unix-domain sockets: [`UnixListener`] and [`UnixStream`] (with its owned
//! halves [`OwnedReadHalf`] / [`OwnedWriteHalf`]) for byte streams,
//! [`UnixDatagram`] for messages. Built on [`crate::io::Async`] over
//! `mio`'s Unix socket types; addresses are `std`'s
//! [`SocketAddr`](std::os::unix::net::SocketAddr).

mod datagram;
mod listener;
mod split;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::UnixStream;
