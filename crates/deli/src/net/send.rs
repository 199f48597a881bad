//! Stream writes that cannot raise `SIGPIPE`.
//!
//! Writing to a stream socket whose peer has gone fails with `EPIPE` and,
//! by default, also sends the process `SIGPIPE`, which kills it. Rust
//! programs normally ignore that signal, but a library cannot count on it
//! (a C host program, or a binary built to restore the default, does not).
//! `std`'s `write` on a TCP stream passes `MSG_NOSIGNAL`, but its vectored
//! write and every Unix-stream write use `write`/`writev`, which cannot. So
//! every stream write of this module goes through `send`/`sendmsg` with
//! `MSG_NOSIGNAL` here. Where that flag does not exist (the BSDs and macOS
//! use the `SO_NOSIGPIPE` socket option instead), the plain calls are used
//! and [`forbid_sigpipe`] sets the option on each new socket.

use std::io;
use std::io::IoSlice;
use std::os::fd::{AsRawFd, BorrowedFd};

#[cfg(any(target_os = "linux", target_os = "android"))]
const NO_SIGNAL: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const NO_SIGNAL: libc::c_int = 0;

/// Writes `buf` to the stream socket `fd` without raising `SIGPIPE`.
pub(super) fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `fd` is a live descriptor for the borrow's length, and the
    // pointer and length describe `buf`, which outlives the call.
    let sent = unsafe { libc::send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), NO_SIGNAL) };
    byte_count(sent)
}

/// Writes `bufs` in one `sendmsg` without raising `SIGPIPE`.
pub(super) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // The kernel refuses more than IOV_MAX buffers; later ones wait for the
    // next call, as a short write allows.
    const IOV_MAX: usize = 1024;
    let bufs = &bufs[..bufs.len().min(IOV_MAX)];
    // SAFETY: an all-zero `msghdr` is valid (no name, no control data).
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix, and
    // `sendmsg` only reads through `msg_iov`.
    message.msg_iov = bufs.as_ptr().cast_mut().cast();
    // The field's integer type differs between platforms; the length is at
    // most IOV_MAX, which fits all of them.
    message.msg_iovlen = bufs.len() as _;
    // SAFETY: `fd` is live for the borrow; `message` points at `bufs`, whose
    // slices outlive the call and are only read.
    let sent = unsafe { libc::sendmsg(fd.as_raw_fd(), &message, NO_SIGNAL) };
    byte_count(sent)
}

fn byte_count(result: libc::ssize_t) -> io::Result<usize> {
    usize::try_from(result).map_err(|_| io::Error::last_os_error())
}

/// Sets `SO_NOSIGPIPE` where `MSG_NOSIGNAL` is missing; nothing elsewhere.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn forbid_sigpipe(fd: BorrowedFd<'_>) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `fd` is live for the borrow; the option value is a c_int
    // whose address and size are passed together.
    let result = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_NOSIGPIPE,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets `SO_NOSIGPIPE` where `MSG_NOSIGNAL` is missing; nothing here.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn forbid_sigpipe(_fd: BorrowedFd<'_>) -> io::Result<()> {
    Ok(())
}
