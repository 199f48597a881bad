//! The ecosystem's I/O traits for [`File`]: reading and writing through
//! `crate::io`'s one adapter (`futures_io`'s always, tokio's with the
//! `tokio-io` feature), seeking here, for both. Each forwards to the poll
//! functions in `file.rs`, so the traits and the inherent methods read,
//! write and seek through the same buffers.
//!
//! Closing (`poll_close` / `poll_shutdown`) flushes: a file has no write
//! direction to shut.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::File;
use crate::io::{impl_async_read, impl_async_write, PollRead, PollWrite};

impl PollRead for File {
    fn poll_read_some(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_bytes(cx, buf)
    }
}

impl PollWrite for File {
    fn poll_write_some(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_bytes(cx, buf)
    }

    fn poll_flush_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_bytes(cx)
    }

    fn poll_close_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_bytes(cx)
    }
}

impl_async_read!([] File);
impl_async_write!([] File);

impl futures_io::AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.get_mut().poll_seek_to(cx, pos)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().start_asked_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().poll_seek_complete(cx)
    }
}
