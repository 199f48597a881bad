//! The ecosystem's I/O traits for deli's streams: `futures_io::AsyncRead` /
//! `AsyncWrite` always, tokio's `AsyncRead` / `AsyncWrite` with the
//! `tokio-io` feature (tokio's traits only, no tokio runtime). All of them
//! forward to the stream's [`StreamIo`](super::stream_io::StreamIo), so
//! every trait reads and writes exactly as the inherent methods do.
//!
//! Closing (`poll_close` / `poll_shutdown`) shuts down the write direction;
//! flushing does nothing, as the socket buffers nothing in user space.

use std::io;
use std::io::IoSlice;
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::split::{OwnedReadHalf, OwnedWriteHalf, SplitStream};
use super::{TcpStream, UnixStream};

macro_rules! impl_async_read {
    ($([$($generics:tt)*] $stream:ty),* $(,)?) => {$(
        impl<$($generics)*> futures_io::AsyncRead for $stream {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_read(cx, buf)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncRead for $stream {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let read = std::task::ready!(self
                    .stream_io()
                    .poll_read(cx, buf.initialize_unfilled()))?;
                buf.advance(read);
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

macro_rules! impl_async_write {
    ($([$($generics:tt)*] $stream:ty => $after_close:expr),* $(,)?) => {$(
        impl<$($generics)*> futures_io::AsyncWrite for $stream {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_write_vectored(cx, bufs)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let stream = self.get_mut();
                stream.stream_io().shutdown(Shutdown::Write)?;
                $after_close(stream);
                Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<$($generics)*> tokio::io::AsyncWrite for $stream {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.stream_io().poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let stream = self.get_mut();
                stream.stream_io().shutdown(Shutdown::Write)?;
                $after_close(stream);
                Poll::Ready(Ok(()))
            }
        }
    )*};
}

impl_async_read!(
    [] TcpStream,
    [] UnixStream,
    [S: SplitStream] OwnedReadHalf<S>,
);

fn nothing_more<T>(_: &mut T) {}

impl_async_write!(
    [] TcpStream => nothing_more,
    [] UnixStream => nothing_more,
    [S: SplitStream] OwnedWriteHalf<S> => OwnedWriteHalf::mark_shut_down,
);
