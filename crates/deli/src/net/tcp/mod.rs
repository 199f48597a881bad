//! TCP: [`TcpListener`] accepts connections, [`TcpStream`] is one, and
//! [`OwnedReadHalf`] / [`OwnedWriteHalf`] are a stream split for two tasks.
//! Built on [`crate::io::Async`] over `mio`'s TCP types; name resolution
//! comes from [`super::addr`].

mod listener;
mod split;
mod stream;

pub use listener::TcpListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use stream::TcpStream;
