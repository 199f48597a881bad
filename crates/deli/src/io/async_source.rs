//! [`Async<T>`]: a non-blocking `mio` source registered with the current
//! reactor, with futures that wait for readiness and helpers that retry an
//! operation until it stops returning `WouldBlock`.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;

use super::current::current;
use super::error::ReactorError;
use super::readiness::Direction;
use super::registration::Registration;

/// A non-blocking I/O object registered with deli's reactor.
///
/// `Async` wraps any `mio` [`Source`] (`mio::net::TcpStream`,
/// `mio::net::UnixStream`, `mio::unix::pipe::Receiver`, a `SourceFd`, ...)
/// that is in non-blocking mode (mio's own types always are). Reading and
/// writing go through [`read_with`](Self::read_with) and
/// [`write_with`](Self::write_with): they run the operation, and when it
/// returns [`WouldBlock`](io::ErrorKind::WouldBlock) they wait until the
/// reactor reports readiness and run it again.
///
/// One task may wait to read while another waits to write, like a socket
/// split into a read half and a write half; two tasks waiting on the *same*
/// side of one `Async` at once are not supported (the later one's waker
/// replaces the earlier one's, which may then not be woken).
///
/// Readiness is edge-triggered and remembered: once the reactor reports a
/// side ready, it stays ready until an operation through
/// [`read_with`](Self::read_with) / [`write_with`](Self::write_with) (or
/// their `poll_` and `_mut` forms) returns `WouldBlock`. A loop that awaits
/// [`readable`](Self::readable) and then reads through
/// [`get_ref`](Self::get_ref) would therefore spin on `WouldBlock`; use
/// `read_with` instead.
///
/// After the runtime shuts down, every wait returns an error of kind
/// [`Other`](io::ErrorKind::Other) ("deli runtime has shut down").
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
///
/// use deli::io::Async;
/// use mio::net::UnixStream;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let (left, right) = UnixStream::pair()?;
///     let left = Async::new(left)?;
///     let right = Async::new(right)?;
///
///     right.write_with(|mut s| s.write(b"ping")).await?;
///     let mut buf = [0; 4];
///     let n = left.read_with(|mut s| s.read(&mut buf)).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok(())
/// # }
/// ```
pub struct Async<T: Source> {
    /// `Some` from `new` until `into_inner` or `drop` takes it.
    io: Option<T>,
    registration: Registration,
}

impl<T: Source> Async<T> {
    /// Registers `io` with the current deli runtime's reactor for read and
    /// write readiness.
    ///
    /// Fails with an error of kind [`Other`](io::ErrorKind::Other) when
    /// called outside a deli runtime or after it has shut down, and with the
    /// OS error if registration fails; `io` is dropped in both cases.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// // Outside a runtime there is no reactor to register with.
    /// let (sender, _receiver) = pipe::new()?;
    /// assert!(Async::new(sender).is_err());
    ///
    /// deli::run(async {
    ///     let (sender, receiver) = pipe::new()?;
    ///     let _sender = Async::new(sender)?;
    ///     let _receiver = Async::new(receiver)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(mut io: T) -> io::Result<Async<T>> {
        let reactor = current().ok_or(ReactorError::NoRuntime)?;
        let registration =
            Registration::new(reactor, &mut io, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Async {
            io: Some(io),
            registration,
        })
    }

    /// The wrapped I/O object.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let left = Async::new(left)?;
    ///     assert!(left.get_ref().peer_addr().is_ok());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_ref(&self) -> &T {
        // Invariant of the `io` field: only `into_inner` and `drop` take it,
        // and both consume or end `self`.
        self.io
            .as_ref()
            .expect("Async holds its I/O object until consumed")
    }

    /// The wrapped I/O object, mutably. Do not replace it with another
    /// object: the registration belongs to the original one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (sender, _receiver) = pipe::new()?;
    ///     let mut sender = Async::new(sender)?;
    ///     sender.get_mut().flush()?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        // Invariant of the `io` field, as in `get_ref`.
        self.io
            .as_mut()
            .expect("Async holds its I/O object until consumed")
    }

    /// Deregisters the I/O object from the reactor and returns it.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let left = Async::new(left)?;
    ///     let left: UnixStream = left.into_inner()?;
    ///     // Now it can be registered again, here or elsewhere.
    ///     let _left = Async::new(left)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_inner(mut self) -> io::Result<T> {
        let mut io = self
            .io
            .take()
            // Invariant of the `io` field, as in `get_ref`.
            .expect("Async holds its I/O object until consumed");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    /// Waits until the reactor reports the object readable, closed for
    /// reading, or in error. Returns at once if that was reported and no
    /// operation has returned `WouldBlock` since.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let left = Async::new(left)?;
    ///     right.write_all(b"x")?;
    ///     left.readable().await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(left.get_ref().read(&mut buf)?, 1);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Waits until the reactor reports the object writable, closed for
    /// writing, or in error. Returns at once if that was reported and no
    /// operation has returned `WouldBlock` since.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let left = Async::new(left)?;
    ///     left.writable().await?; // a fresh socket has room to write
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// The `Context` form of [`readable`](Self::readable): `Ready` when
    /// read readiness is recorded, otherwise `Pending` with the task's waker
    /// stored in the reader slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (sender, receiver) = pipe::new()?;
    ///     let receiver = Async::new(receiver)?;
    ///     drop(sender); // the receiver sees end-of-file: readable
    ///     poll_fn(|cx| receiver.poll_readable(cx)).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        crate::coop::budgeted(cx, |cx| {
            self.registration
                .poll_ready(cx, Direction::Read)
                .map_ok(|_| ())
        })
    }

    /// The `Context` form of [`writable`](Self::writable): `Ready` when
    /// write readiness is recorded, otherwise `Pending` with the task's waker
    /// stored in the writer slot.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (sender, _receiver) = pipe::new()?;
    ///     let sender = Async::new(sender)?;
    ///     poll_fn(|cx| sender.poll_writable(cx)).await?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        crate::coop::budgeted(cx, |cx| {
            self.registration
                .poll_ready(cx, Direction::Write)
                .map_ok(|_| ())
        })
    }

    /// Runs `op` until it returns something other than `WouldBlock`,
    /// waiting for read readiness before each attempt.
    ///
    /// Readiness is cleared only when `op` returned `WouldBlock`, and only
    /// if no new event arrived while `op` ran, so no wake-up is lost.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (mut sender, receiver) = pipe::new()?;
    ///     let receiver = Async::new(receiver)?;
    ///     sender.write_all(b"hello")?;
    ///     drop(sender);
    ///
    ///     let mut text = Vec::new();
    ///     let mut buf = [0; 64];
    ///     loop {
    ///         let n = receiver.read_with(|mut r| r.read(&mut buf)).await?;
    ///         if n == 0 {
    ///             break; // end of file
    ///         }
    ///         text.extend_from_slice(&buf[..n]);
    ///     }
    ///     assert_eq!(text, b"hello");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with(cx, &mut op)).await
    }

    /// [`read_with`](Self::read_with) for operations that need `&mut T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let mut left = Async::new(left)?;
    ///     right.write_all(b"abc")?;
    ///     let mut buf = [0; 3];
    ///     left.read_with_mut(|s| s.read_exact(&mut buf)).await?;
    ///     assert_eq!(&buf, b"abc");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with_mut(cx, &mut op)).await
    }

    /// Runs `op` until it returns something other than `WouldBlock`,
    /// waiting for write readiness before each attempt. Readiness is cleared
    /// as in [`read_with`](Self::read_with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (sender, mut receiver) = pipe::new()?;
    ///     let sender = Async::new(sender)?;
    ///     let n = sender.write_with(|mut s| s.write(b"hi")).await?;
    ///     assert_eq!(n, 2);
    ///     let mut buf = [0; 2];
    ///     receiver.read_exact(&mut buf)?;
    ///     assert_eq!(&buf, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with(cx, &mut op)).await
    }

    /// [`write_with`](Self::write_with) for operations that need `&mut T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let mut left = Async::new(left)?;
    ///     let n = left.write_with_mut(|s| s.write(b"xyz")).await?;
    ///     assert_eq!(n, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write_with_mut<R>(
        &mut self,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with_mut(cx, &mut op)).await
    }

    /// The `Context` form of [`read_with`](Self::read_with), for
    /// implementing `poll_read`-style methods: `Ready` with `op`'s result
    /// once it is not `WouldBlock`, `Pending` (waker stored in the reader
    /// slot) while nothing can be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{Read, Write};
    ///
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, mut right) = UnixStream::pair()?;
    ///     let left = Async::new(left)?;
    ///     right.write_all(b"data")?;
    ///     let mut buf = [0; 16];
    ///     let n = poll_fn(|cx| left.poll_read_with(cx, |mut s| s.read(&mut buf))).await?;
    ///     assert_eq!(n, 4);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        poll_until_done(&self.registration, cx, Direction::Read, || op(io), never)
    }

    /// [`poll_read_with`](Self::poll_read_with) for operations that need
    /// `&mut T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::{Read, Write};
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (mut sender, receiver) = pipe::new()?;
    ///     let mut receiver = Async::new(receiver)?;
    ///     sender.write_all(b"data")?;
    ///     let mut buf = [0; 16];
    ///     let n = poll_fn(|cx| receiver.poll_read_with_mut(cx, |r| r.read(&mut buf))).await?;
    ///     assert_eq!(n, 4);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_read_with_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let (io, registration) = self.split_mut();
        poll_until_done(registration, cx, Direction::Read, || op(&mut *io), never)
    }

    /// [`poll_read_with`](Self::poll_read_with) for reads whose result
    /// shows that they emptied the source — a stream read that returned
    /// fewer bytes than it asked for, which `drained` recognizes. The
    /// readiness observed before the read is then forgotten at once, as
    /// after `WouldBlock`, so the next read waits for the next event instead
    /// of spending a system call to learn that nothing is there. Sound for
    /// the reactor's edge-triggered readiness: bytes that arrive after the
    /// read raise a new event with a new tick, which the clearing leaves in
    /// place.
    pub(crate) fn poll_read_until_drained<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        poll_until_done(&self.registration, cx, Direction::Read, || op(io), drained)
    }

    /// The `Context` form of [`write_with`](Self::write_with), for
    /// implementing `poll_write`-style methods.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Write;
    ///
    /// use deli::io::Async;
    /// use mio::net::UnixStream;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (left, _right) = UnixStream::pair()?;
    ///     let left = Async::new(left)?;
    ///     let n = poll_fn(|cx| left.poll_write_with(cx, |mut s| s.write(b"abc"))).await?;
    ///     assert_eq!(n, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        poll_until_done(&self.registration, cx, Direction::Write, || op(io), never)
    }

    /// [`poll_write_with`](Self::poll_write_with) for operations that need
    /// `&mut T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::io::Write;
    ///
    /// use deli::io::Async;
    /// use mio::unix::pipe;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let (sender, _receiver) = pipe::new()?;
    ///     let mut sender = Async::new(sender)?;
    ///     let n = poll_fn(|cx| sender.poll_write_with_mut(cx, |s| s.write(b"abc"))).await?;
    ///     assert_eq!(n, 3);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn poll_write_with_mut<R>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let (io, registration) = self.split_mut();
        poll_until_done(registration, cx, Direction::Write, || op(&mut *io), never)
    }

    fn split_mut(&mut self) -> (&mut T, &Registration) {
        let io = self
            .io
            .as_mut()
            // Invariant of the `io` field, as in `get_ref`.
            .expect("Async holds its I/O object until consumed");
        (io, &self.registration)
    }

    #[cfg(all(test, not(loom)))]
    pub(super) fn registration(&self) -> &Registration {
        &self.registration
    }
}

/// The retry loop shared by every `*_with` method: wait for readiness, run
/// `op`, and on `WouldBlock` — or on a success that `drained` says emptied
/// the source — forget exactly the readiness that was observed before `op`
/// ran.
fn poll_until_done<R>(
    registration: &Registration,
    cx: &mut Context<'_>,
    direction: Direction,
    op: impl FnMut() -> io::Result<R>,
    drained: impl Fn(&R) -> bool,
) -> Poll<io::Result<R>> {
    // Each completed operation spends budget, so a task reading a socket
    // that is always ready still lets its worker's other tasks run.
    crate::coop::budgeted(cx, |cx| {
        poll_until_done_unbudgeted(registration, cx, direction, op, drained)
    })
}

fn poll_until_done_unbudgeted<R>(
    registration: &Registration,
    cx: &mut Context<'_>,
    direction: Direction,
    mut op: impl FnMut() -> io::Result<R>,
    drained: impl Fn(&R) -> bool,
) -> Poll<io::Result<R>> {
    loop {
        let observed = std::task::ready!(registration.poll_ready(cx, direction))?;
        match op() {
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                registration.clear_readiness(observed);
            }
            Ok(value) => {
                if drained(&value) {
                    registration.clear_readiness(observed);
                }
                return Poll::Ready(Ok(value));
            }
            result => return Poll::Ready(result),
        }
    }
}

/// For operations that never tell whether they drained the source.
fn never<R>(_: &R) -> bool {
    false
}

impl<T: Source> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // The object is closed right after; a failure to deregister
            // leaves nothing behind that the close does not remove.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

impl<T: Source + fmt::Debug> fmt::Debug for Async<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("io", &self.io)
            .field("registration", &self.registration)
            .finish()
    }
}
