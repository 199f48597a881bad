//! The ecosystem's I/O traits for deli's streams and their halves, through
//! `crate::io`'s one adapter (`futures_io`'s always, tokio's with the
//! `tokio-io` feature): each reads and writes through the stream's
//! [`StreamIo`](super::stream_io::StreamIo), exactly as the inherent
//! methods do.
//!
//! Closing (`poll_close` / `poll_shutdown`) shuts down the write direction;
//! flushing does nothing, as the socket buffers nothing in user space.

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf};
use super::stream::{Stream, StreamKind};
use crate::io::{impl_async_read, impl_async_write, PollRead, PollWrite};

/// [`PollRead`] and [`PollWrite`] through `stream_io()`; `$after_close`
/// runs once the write direction is shut.
macro_rules! stream_io_polls {
    ($([$($generics:tt)*] $reader:ty, $writer:ty => $after_close:expr);* $(;)?) => {$(
        impl<$($generics)*> PollRead for $reader {
            fn poll_read_some(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_read(cx, buf)
            }
        }

        impl<$($generics)*> PollWrite for $writer {
            fn poll_write_some(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.stream_io().poll_write(cx, buf)
            }

            fn poll_write_vectored_some(
                &mut self,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_write_vectored(cx, bufs)
            }

            fn writes_vectored(&self) -> bool {
                true
            }

            fn poll_flush_some(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close_some(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.stream_io().shutdown(Shutdown::Write)?;
                $after_close(self);
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

fn nothing_more<T>(_: &mut T) {}

stream_io_polls!(
    [K: StreamKind] Stream<K>, Stream<K> => nothing_more;
    [K: StreamKind] OwnedReadHalf<K>, OwnedWriteHalf<K> => OwnedWriteHalf::mark_shut_down;
);

impl_async_read!([K: StreamKind] Stream<K>, [K: StreamKind] OwnedReadHalf<K>);

impl_async_write!([K: StreamKind] Stream<K>, [K: StreamKind] OwnedWriteHalf<K>);
