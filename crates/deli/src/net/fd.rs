//! What every socket type does the same way through its file descriptor:
//! shows it (`AsFd`, `AsRawFd`, for `setsockopt` and friends through
//! `libc` or `socket2`) and its addresses in `Debug` — one macro, used by
//! [`Stream`](super::stream::Stream), [`Listener`](super::listener::Listener)
//! and [`Datagram`](super::datagram::Datagram) — and moves between `std`'s
//! blocking sockets and `mio`'s non-blocking ones.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// `socket`, a `std` socket, switched to non-blocking mode and handed to
/// `mio` through `to_mio` (its `from_std`).
pub(crate) fn std_to_mio<S: AsFd, M>(socket: S, to_mio: fn(S) -> M) -> io::Result<M> {
    set_nonblocking(socket.as_fd(), true)?;
    Ok(to_mio(socket))
}

/// `socket`, a `mio` socket, as the `std` socket of its kind in blocking
/// mode.
pub(crate) fn mio_to_std<M: Into<OwnedFd>, S: From<OwnedFd> + AsFd>(socket: M) -> io::Result<S> {
    let socket = S::from(socket.into());
    set_nonblocking(socket.as_fd(), false)?;
    Ok(socket)
}

/// What `std`'s `set_nonblocking` does, for any descriptor.
fn set_nonblocking(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    // SAFETY: `fd` is a descriptor that stays open for this call (it is
    // borrowed), and F_GETFL/F_SETFL read and write only its status flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let wanted = if on {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    // SAFETY: as above.
    if wanted != flags && unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, wanted) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `AsFd`, `AsRawFd` and a `Debug` named `$name` that shows the named
/// address methods' answers, for `$socket<K>` (any `K: $kind`), whose file
/// descriptor `$this` gives as `$fd`.
macro_rules! socket_impls {
    (
        $socket:ident<K: $kind:ident>,
        |$this:ident| $fd:expr,
        debug: $name:expr => [$($addr:ident),+]
    ) => {
        impl<K: $kind> std::os::fd::AsFd for $socket<K> {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                let $this = self;
                $fd
            }
        }

        impl<K: $kind> std::os::fd::AsRawFd for $socket<K> {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&std::os::fd::AsFd::as_fd(self))
            }
        }

        impl<K: $kind> std::fmt::Debug for $socket<K> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name)
                    $(.field(stringify!($addr), &self.$addr().ok()))+
                    .finish()
            }
        }
    };
}

pub(super) use socket_impls;

/// Trait methods written one line each, `fn name(args) -> Type = body;`:
/// for the kinds' forwarding functions, which only call their `mio`
/// socket's method of the same name (`std`'s and `mio`'s socket types have
/// the same methods for every kind).
macro_rules! one_line_fns {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $body:expr;)+) => {
        $(
            fn $name($($arg: $ty),*) -> $ret {
                $body
            }
        )+
    };
}

pub(super) use one_line_fns;
