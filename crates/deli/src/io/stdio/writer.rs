//! [`Stdout`] and [`Stderr`]: write-behind writers of the process's
//! standard output and error on the blocking pool.
//!
//! A write copies into the handle's buffer and, if no blocking write is
//! running, starts one at once, so output shows up without a flush;
//! while one runs, later writes gather in the buffer and go out together
//! next. A write waits only when [`MAX_BUFFERED`] bytes are already
//! waiting.

use std::future::{poll_fn, Future};
use std::io::{self, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::{spawn_blocking, Ticket};

/// Bytes a handle holds before a write waits for the one in flight.
const MAX_BUFFERED: usize = 64 * 1024;

/// Which standard stream a [`Writer`] writes.
#[derive(Debug, Clone, Copy)]
enum Target {
    Stdout,
    Stderr,
}

impl Target {
    /// Writes `bytes` and flushes std's buffer (std's stdout is line
    /// buffered; a partial line must reach the descriptor too).
    fn write_all(self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Target::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()
            }
            Target::Stderr => {
                let mut out = io::stderr().lock();
                out.write_all(bytes)?;
                out.flush()
            }
        }
    }
}

/// What [`Stdout`] and [`Stderr`] share.
#[derive(Debug)]
struct Writer {
    target: Target,
    /// The write in flight; it hands its (emptied) buffer back.
    op: Option<Ticket<(Vec<u8>, io::Result<()>)>>,
    /// Bytes accepted and not yet handed to a write.
    buf: Vec<u8>,
    /// A buffer back from a finished write, reused.
    spare: Vec<u8>,
    /// A failed write, returned by the next call.
    error: Option<io::Error>,
}

impl Writer {
    fn new(target: Target) -> Writer {
        Writer {
            target,
            op: None,
            buf: Vec::new(),
            spare: Vec::new(),
            error: None,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        while self.buf.len() >= MAX_BUFFERED && self.op.is_some() {
            ready!(self.poll_op(cx));
            self.start_if_idle();
        }
        if let Some(error) = self.error.take() {
            return Poll::Ready(Err(error));
        }
        let room = MAX_BUFFERED.saturating_sub(self.buf.len()).max(1);
        let n = src.len().min(room);
        self.buf.extend_from_slice(&src[..n]);
        // Learn of a write that finished meanwhile, then keep one going.
        if self.op.is_some() {
            let _ = self.poll_op(cx);
        }
        self.start_if_idle();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.op.is_some() {
                ready!(self.poll_op(cx));
            }
            if self.buf.is_empty() {
                return Poll::Ready(self.error.take().map_or(Ok(()), Err));
            }
            self.start_if_idle();
        }
    }

    /// Waits for the write in flight; keeps its buffer and any error.
    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(ticket) = &mut self.op else {
            return Poll::Ready(());
        };
        let outcome = ready!(Pin::new(ticket).poll(cx));
        self.op = None;
        match outcome {
            Ok((spare, result)) => {
                self.spare = spare;
                if let Err(error) = result {
                    self.error.get_or_insert(error);
                }
            }
            Err(job_error) => {
                self.error.get_or_insert(io::Error::other(job_error));
            }
        }
        Poll::Ready(())
    }

    fn start_if_idle(&mut self) {
        if self.op.is_some() || self.buf.is_empty() {
            return;
        }
        let next = std::mem::take(&mut self.spare);
        let mut bytes = std::mem::replace(&mut self.buf, next);
        let target = self.target;
        self.op = Some(spawn_blocking(move || {
            let result = target.write_all(&bytes);
            bytes.clear();
            (bytes, result)
        }));
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.buf);
        let before = self.op.take();
        let target = self.target;
        // Detached, after the write in flight so the order holds; flush
        // first to learn of errors.
        drop(spawn_blocking(move || {
            if let Some(before) = before {
                let _ = before.wait_blocking();
            }
            let _ = target.write_all(&pending);
        }));
    }
}

macro_rules! standard_writer {
    ($name:ident, $target:ident, $make:ident, $stream:literal, $example_write:literal) => {
        #[doc = concat!("A handle to the process's standard ", $stream, " for async code.")]
        ///
        /// # Examples
        ///
        /// ```
        /// # deli::run(async {
        #[doc = concat!("let mut out = deli::io::", stringify!($make), "();")]
        #[doc = $example_write]
        /// out.flush().await?;
        /// # Ok::<(), std::io::Error>(())
        /// # }).unwrap();
        /// ```
        pub fn $make() -> $name {
            $name {
                writer: Writer::new(Target::$target),
            }
        }

        #[doc = concat!("The process's standard ", $stream, ": `futures_io::AsyncWrite` (and")]
        /// tokio's with `tokio-io`), [`write_all`](Self::write_all) and
        /// [`flush`](Self::flush). Writes are write-behind: each returns once
        /// its bytes are buffered and a blocking write is on its way; flush
        /// to wait for them and to learn of a failed one. Bytes left
        /// unflushed when the handle is dropped are still written, after it.
        ///
        /// # Examples
        ///
        /// ```
        /// use futures_util::AsyncWriteExt;
        ///
        /// # deli::run(async {
        #[doc = concat!("let mut out = deli::io::", stringify!($make), "();")]
        /// out.write_all(b"through futures_util\n").await?;
        /// out.close().await?;
        /// # Ok::<(), std::io::Error>(())
        /// # }).unwrap();
        /// ```
        #[derive(Debug)]
        pub struct $name {
            writer: Writer,
        }

        impl $name {
            /// Writes all of `bytes` (into the handle's buffer, on its way
            /// to the stream).
            ///
            /// # Examples
            ///
            /// ```
            /// # deli::run(async {
            #[doc = concat!("let mut out = deli::io::", stringify!($make), "();")]
            /// out.write_all(b"one ").await?;
            /// out.write_all(b"two\n").await?;
            /// out.flush().await?;
            /// # Ok::<(), std::io::Error>(())
            /// # }).unwrap();
            /// ```
            pub async fn write_all(&mut self, mut bytes: &[u8]) -> io::Result<()> {
                while !bytes.is_empty() {
                    let n = poll_fn(|cx| self.writer.poll_write(cx, bytes)).await?;
                    bytes = &bytes[n..];
                }
                Ok(())
            }

            /// Waits until every byte written reached the stream; returns
            /// the error of any write that failed.
            ///
            /// # Examples
            ///
            /// ```
            /// # deli::run(async {
            #[doc = concat!("let mut out = deli::io::", stringify!($make), "();")]
            /// out.write_all(b"done\n").await?;
            /// out.flush().await?;
            /// # Ok::<(), std::io::Error>(())
            /// # }).unwrap();
            /// ```
            pub async fn flush(&mut self) -> io::Result<()> {
                poll_fn(|cx| self.writer.poll_flush(cx)).await
            }
        }

        impl $crate::io::PollWrite for $name {
            fn poll_write_some(
                &mut self,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.writer.poll_write(cx, buf)
            }

            fn poll_flush_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.writer.poll_flush(cx)
            }

            /// Flushes; the process's stream itself stays open.
            fn poll_close_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.writer.poll_flush(cx)
            }
        }

        $crate::io::impl_async_write!([] $name);
    };
}

standard_writer!(
    Stdout,
    Stdout,
    stdout,
    "output",
    "out.write_all(b\"hello from deli\\n\").await?;"
);
standard_writer!(
    Stderr,
    Stderr,
    stderr,
    "error",
    "out.write_all(b\"warning: from deli\\n\").await?;"
);
