//! What TCP and Unix streams share: a registered stream socket behind an
//! `Arc`, so that a stream can be split into an owned read half and an owned
//! write half that live in different tasks, and the read, write and
//! shutdown operations both kinds of stream (and their halves) run.
//!
//! The reactor keeps one reader and one writer waker per registration; the
//! types built on this one keep to that rule by taking `&mut self` to read
//! or write, so at most one task reads and one task writes at a time.

use std::future::poll_fn;
use std::io;
use std::io::{IoSlice, Read};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::event::Source;

use super::send::{forbid_sigpipe, send, send_vectored};
use crate::io::Async;

/// A `mio` stream socket: what [`StreamIo`] needs beyond registration.
pub trait StreamSocket: Source + AsFd {
    /// One non-blocking read.
    fn read_some(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Shuts down one or both directions.
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    /// Takes the pending socket error (`SO_ERROR`), if any.
    fn take_error(&self) -> io::Result<Option<io::Error>>;
}

/// `StreamSocket` for `mio`'s stream types, which have the same methods.
macro_rules! stream_sockets {
    ($($socket:ty),+) => {$(
        impl StreamSocket for $socket {
            fn read_some(&self, buf: &mut [u8]) -> io::Result<usize> {
                let mut socket = self;
                socket.read(buf)
            }
            fn shutdown(&self, how: Shutdown) -> io::Result<()> {
                <$socket>::shutdown(self, how)
            }
            fn take_error(&self) -> io::Result<Option<io::Error>> {
                <$socket>::take_error(self)
            }
        }
    )+};
}

stream_sockets!(mio::net::TcpStream, mio::net::UnixStream);

/// A registered stream socket, shared by a stream or by its two halves.
#[derive(Debug)]
pub struct StreamIo<S: Source> {
    shared: Arc<Async<S>>,
}

impl<S: Source> Clone for StreamIo<S> {
    fn clone(&self) -> Self {
        StreamIo {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: StreamSocket> StreamIo<S> {
    /// Registers `socket` with the current runtime's reactor.
    pub(super) fn new(socket: S) -> io::Result<StreamIo<S>> {
        forbid_sigpipe(socket.as_fd())?;
        Ok(StreamIo {
            shared: Arc::new(Async::new(socket)?),
        })
    }

    pub(super) fn socket(&self) -> &S {
        self.shared.get_ref()
    }

    pub(super) fn registered(&self) -> &Async<S> {
        &self.shared
    }

    /// Waits for a connect started on a non-blocking socket to finish, and
    /// returns its outcome.
    pub(super) async fn finish_connect(&self) -> io::Result<()> {
        self.shared.writable().await?;
        match self.socket().take_error()? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    pub(super) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // A short read emptied the socket's receive buffer: the next read
        // waits for the reactor's next event instead of a `WouldBlock`.
        let asked = buf.len();
        self.shared.poll_read_until_drained(
            cx,
            |socket| socket.read_some(&mut *buf),
            |&read| read > 0 && read < asked,
        )
    }

    pub(super) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.shared
            .poll_write_with(cx, |socket| send(socket.as_fd(), buf))
    }

    pub(super) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.shared
            .poll_write_with(cx, |socket| send_vectored(socket.as_fd(), bufs))
    }

    pub(super) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    pub(super) async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the stream ended before the buffer was filled",
                    ))
                }
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    pub(super) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    pub(super) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream accepted no more bytes",
                    ))
                }
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    pub(super) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.socket().shutdown(how)
    }

    /// Whether `other` shares this socket (the halves of one stream).
    pub(super) fn same_socket(&self, other: &StreamIo<S>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Deregisters and returns the socket, if this is its only holder.
    pub(super) fn into_socket(self) -> io::Result<S> {
        match Arc::try_unwrap(self.shared) {
            Ok(registered) => registered.into_inner(),
            Err(_) => Err(io::Error::other(
                "the socket is still shared with a split half",
            )),
        }
    }
}
