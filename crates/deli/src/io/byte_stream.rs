//! The ecosystem's I/O traits for every byte stream in deli, written once.
//!
//! A stream — a socket or one of its halves, a file, a child's pipe, the
//! process's stdin, stdout or stderr — says how it reads and writes by
//! implementing [`PollRead`] and [`PollWrite`]; [`impl_async_read!`] and
//! [`impl_async_write!`] then give it `futures_io::AsyncRead` /
//! `AsyncWrite` always and tokio's `AsyncRead` / `AsyncWrite` with the
//! `tokio-io` feature (tokio's traits only, no tokio runtime). So every
//! stream reads and writes exactly as its inherent methods do, through
//! every trait, and tokio's `ReadBuf` is filled in one place.
//!
//! Uses `std` only; every module with a stream uses it.

use std::io::{self, IoSlice};
use std::task::{Context, Poll};

/// How a stream reads.
pub(crate) trait PollRead {
    /// One read into `buf`: the byte count, `Ok(0)` at end of stream.
    fn poll_read_some(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}

/// How a stream writes, flushes and closes.
pub(crate) trait PollWrite {
    /// One write of some of `buf`: the byte count.
    fn poll_write_some(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// One write gathered from `bufs`; by default, of the first non-empty
    /// one alone.
    fn poll_write_vectored_some(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|buf| !buf.is_empty());
        self.poll_write_some(cx, first.map_or(&[][..], |buf| &**buf))
    }

    /// Whether [`poll_write_vectored_some`](PollWrite::poll_write_vectored_some)
    /// really gathers (tokio's `is_write_vectored`; `futures_io` asks not).
    #[cfg_attr(not(feature = "tokio-io"), allow(dead_code))]
    fn writes_vectored(&self) -> bool {
        false
    }

    /// Writes out what is buffered in user space.
    fn poll_flush_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// What `poll_close` / `poll_shutdown` do: shut a socket's write
    /// direction, close a pipe, flush a file.
    fn poll_close_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// `futures_io::AsyncRead` (and tokio's, with `tokio-io`) for a
/// [`PollRead`] type, optionally generic: `impl_async_read!([S: Bound]
/// Type<S>, …)`.
macro_rules! impl_async_read {
    ($([$($generics:tt)*] $stream:ty),* $(,)?) => {$(
        impl<$($generics)*> futures_io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::io::PollRead::poll_read_some(self.get_mut(), cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncRead for $stream {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let read = std::task::ready!($crate::io::PollRead::poll_read_some(
                    self.get_mut(),
                    cx,
                    buf.initialize_unfilled()
                ))?;
                buf.advance(read);
                std::task::Poll::Ready(Ok(()))
            }
        }
    )*};
}

/// The four methods `futures_io::AsyncWrite` and tokio's `AsyncWrite`
/// share, through [`PollWrite`]; the traits differ only in what they call
/// closing (`$close`).
macro_rules! write_methods {
    ($close:ident) => {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $crate::io::PollWrite::poll_write_some(self.get_mut(), cx, buf)
        }

        fn poll_write_vectored(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            bufs: &[std::io::IoSlice<'_>],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $crate::io::PollWrite::poll_write_vectored_some(self.get_mut(), cx, bufs)
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            $crate::io::PollWrite::poll_flush_some(self.get_mut(), cx)
        }

        fn $close(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            $crate::io::PollWrite::poll_close_some(self.get_mut(), cx)
        }
    };
}

/// `futures_io::AsyncWrite` (and tokio's, with `tokio-io`) for a
/// [`PollWrite`] type, optionally generic as for [`impl_async_read!`].
macro_rules! impl_async_write {
    ($([$($generics:tt)*] $stream:ty),* $(,)?) => {$(
        impl<$($generics)*> futures_io::AsyncWrite for $stream {
            $crate::io::byte_stream::write_methods!(poll_close);
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncWrite for $stream {
            $crate::io::byte_stream::write_methods!(poll_shutdown);

            fn is_write_vectored(&self) -> bool {
                $crate::io::PollWrite::writes_vectored(self)
            }
        }
    )*};
}

pub(crate) use {impl_async_read, impl_async_write, write_methods};
