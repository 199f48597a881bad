//! [`UnixListener`]: the Unix-socket kind of [`Listener`], and what only
//! Unix listeners do (bind to a path).

use std::io;
use std::path::Path;

use super::Unix;
use crate::net::listener::Listener;

/// A Unix-domain socket listening for connections.
///
/// As with [`TcpListener`](crate::net::TcpListener), accept from one task
/// at a time. The socket file is not removed when the listener is dropped.
///
/// # Examples
///
/// ```
/// use deli::net::{UnixListener, UnixStream};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("deli-doc-listener-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// deli::run(async {
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"hello").await?;
///     let mut buf = [0; 5];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hello");
///     Ok::<(), std::io::Error>(())
/// })?;
/// std::fs::remove_file(&path)
/// # }
/// ```
pub type UnixListener = Listener<Unix>;

impl Listener<Unix> {
    /// Binds a listener to the socket file `path`, which must not exist.
    ///
    /// Fails with the OS error ([`AddrInUse`](io::ErrorKind::AddrInUse) if
    /// the file exists), or with kind [`Other`](io::ErrorKind::Other)
    /// outside a deli runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::net::UnixListener;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("deli-doc-bind-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// deli::run(async {
    ///     let _listener = UnixListener::bind(&path)?;
    ///     let taken = UnixListener::bind(&path).unwrap_err();
    ///     assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::from_mio(mio::net::UnixListener::bind(path)?)
    }
}
