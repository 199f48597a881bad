//! The parent's ends of a child's piped standard streams: non-blocking
//! pipes on the reactor, with `futures_io` (and, under `tokio-io`, tokio's)
//! `AsyncRead` / `AsyncWrite`.
//!
//! A write to a child that closed its stdin fails with
//! [`BrokenPipe`](io::ErrorKind::BrokenPipe) rather than killing the
//! parent: Rust programs ignore `SIGPIPE` from the start (pipes have no
//! `MSG_NOSIGNAL`; a non-Rust host program must ignore it itself).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use mio::unix::pipe::{Receiver, Sender};

use crate::io::{impl_async_read, impl_async_write, Async, PollRead, PollWrite};

/// The parent's writing end of a child's stdin, from
/// [`Child::stdin`](super::Child::stdin) after
/// [`Command::stdin`](super::Command::stdin)`(Stdio::piped())`.
///
/// Closing it ([`close`](Self::close), `AsyncWriteExt::close`, or dropping
/// it) ends the child's input.
///
/// # Examples
///
/// ```
/// use deli::subprocess::{Command, Stdio};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let mut child = Command::new("cat")
///         .stdin(Stdio::piped())
///         .stdout(Stdio::piped())
///         .spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"meow").await?;
///     stdin.close();
///     let output = child.wait_with_output().await?;
///     assert_eq!(output.stdout, b"meow");
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ChildStdin {
    /// `None` once closed.
    pipe: Option<Async<Sender>>,
}

/// The parent's reading end of a child's stdout, from
/// [`Child::stdout`](super::Child::stdout) after
/// [`Command::stdout`](super::Command::stdout)`(Stdio::piped())`.
///
/// # Examples
///
/// ```
/// use deli::subprocess::{Command, Stdio};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
///     let mut text = Vec::new();
///     child.stdout.take().unwrap().read_to_end(&mut text).await?;
///     assert_eq!(text, b"hi\n");
///     assert!(child.wait().await?.success());
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ChildStdout {
    pipe: Async<Receiver>,
}

/// The parent's reading end of a child's stderr, from
/// [`Child::stderr`](super::Child::stderr) after
/// [`Command::stderr`](super::Command::stderr)`(Stdio::piped())`.
///
/// # Examples
///
/// ```
/// use deli::subprocess::{Command, Stdio};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let mut child = Command::new("sh")
///         .args(["-c", "echo oops >&2"])
///         .stderr(Stdio::piped())
///         .spawn()?;
///     let mut text = Vec::new();
///     child.stderr.take().unwrap().read_to_end(&mut text).await?;
///     assert_eq!(text, b"oops\n");
///     child.wait().await?;
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct ChildStderr {
    pipe: Async<Receiver>,
}

impl ChildStdin {
    pub(super) fn new(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        let sender = Sender::from(stdin);
        sender.set_nonblocking(true)?;
        Ok(ChildStdin {
            pipe: Some(Async::new(sender)?),
        })
    }

    /// Writes some of `buf`, waiting until the pipe has room; returns how
    /// many bytes were written.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    ///     let written = child.stdin.as_mut().unwrap().write(b"abc").await?;
    ///     assert!(written > 0);
    ///     child.wait().await?; // closes stdin first, so `cat` ends
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_some(cx, buf)).await
    }

    /// Writes all of `buf`, waiting for room as needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    ///     child.stdin.as_mut().unwrap().write_all(&[b'x'; 100_000]).await?;
    ///     let output = child.wait_with_output().await?;
    ///     assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "100000");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Closes the pipe: the child reads end-of-file. Later writes fail with
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).spawn()?;
    ///     let stdin = child.stdin.as_mut().unwrap();
    ///     stdin.close();
    ///     assert_eq!(stdin.write(b"late").await.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
    ///     assert!(child.wait().await?.success());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn close(&mut self) {
        self.pipe = None;
    }

    fn poll_write_some(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &self.pipe {
            Some(pipe) => pipe.poll_write_with(cx, |mut sender| sender.write(buf)),
            None => Poll::Ready(Err(closed())),
        }
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
}

/// One read from a registered pipe; a short read means the pipe is empty
/// for now, so the next read waits for the reactor's next event.
fn poll_read_pipe(
    pipe: &Async<Receiver>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let asked = buf.len();
    pipe.poll_read_until_drained(
        cx,
        |mut receiver| receiver.read(&mut *buf),
        |&read| read > 0 && read < asked,
    )
}

/// Reads until end-of-file, appending to `out`; returns how many bytes
/// this call appended in all, over however many polls it took.
async fn read_pipe_to_end(pipe: &Async<Receiver>, out: &mut Vec<u8>) -> io::Result<usize> {
    let start = out.len();
    poll_fn(|cx| poll_read_pipe_to_end(pipe, cx, out)).await?;
    Ok(out.len() - start)
}

/// Reads until end-of-file or `Pending`, appending to `out`; `Ready` with
/// the bytes appended during this poll only (a caller that polls again
/// after `Pending` counts from its own start).
pub(super) fn poll_read_pipe_to_end(
    pipe: &Async<Receiver>,
    cx: &mut Context<'_>,
    out: &mut Vec<u8>,
) -> Poll<io::Result<usize>> {
    const CHUNK: usize = 64 * 1024;
    let start = out.len();
    loop {
        let filled = out.len();
        out.resize(filled + CHUNK, 0);
        let read = poll_read_pipe(pipe, cx, &mut out[filled..]);
        match read {
            Poll::Ready(Ok(0)) => {
                out.truncate(filled);
                return Poll::Ready(Ok(filled - start));
            }
            Poll::Ready(Ok(n)) => out.truncate(filled + n),
            Poll::Ready(Err(error)) => {
                out.truncate(filled);
                return Poll::Ready(Err(error));
            }
            Poll::Pending => {
                out.truncate(filled);
                return Poll::Pending;
            }
        }
    }
}

macro_rules! reader_methods {
    ($reader:ident, $std:ty, $field:literal, $example_cmd:literal) => {
        impl $reader {
            pub(super) fn new(stream: $std) -> io::Result<$reader> {
                let receiver = Receiver::from(stream);
                receiver.set_nonblocking(true)?;
                Ok($reader {
                    pipe: Async::new(receiver)?,
                })
            }

            pub(super) fn pipe(&self) -> &Async<Receiver> {
                &self.pipe
            }

            /// Reads some bytes into `buf`, waiting until there are any;
            /// `Ok(0)` at end-of-file.
            ///
            /// # Examples
            ///
            /// ```
            /// use deli::subprocess::{Command, Stdio};
            ///
            /// # fn main() -> std::io::Result<()> {
            /// deli::run(async {
            #[doc = concat!("    let mut child = Command::new(\"sh\").args([\"-c\", ", $example_cmd, "])")]
            ///         .stdout(Stdio::piped())
            ///         .stderr(Stdio::piped())
            ///         .spawn()?;
            #[doc = concat!("    let pipe = child.", $field, ".as_mut().unwrap();")]
            ///     let mut buf = [0; 16];
            ///     let n = pipe.read(&mut buf).await?;
            ///     assert_eq!(&buf[..n], b"x");
            ///     child.wait().await?;
            ///     Ok(())
            /// })
            /// # }
            /// ```
            pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                poll_fn(|cx| poll_read_pipe(&self.pipe, cx, buf)).await
            }

            /// Reads until end-of-file, appending to `out`; returns how many
            /// bytes were read.
            ///
            /// # Examples
            ///
            /// ```
            /// use deli::subprocess::{Command, Stdio};
            ///
            /// # fn main() -> std::io::Result<()> {
            /// deli::run(async {
            #[doc = concat!("    let mut child = Command::new(\"sh\").args([\"-c\", ", $example_cmd, "])")]
            ///         .stdout(Stdio::piped())
            ///         .stderr(Stdio::piped())
            ///         .spawn()?;
            #[doc = concat!("    let pipe = child.", $field, ".as_mut().unwrap();")]
            ///     let mut all = Vec::new();
            ///     assert_eq!(pipe.read_to_end(&mut all).await?, 1);
            ///     child.wait().await?;
            ///     Ok(())
            /// })
            /// # }
            /// ```
            pub async fn read_to_end(&mut self, out: &mut Vec<u8>) -> io::Result<usize> {
                read_pipe_to_end(&self.pipe, out).await
            }
        }

        impl PollRead for $reader {
            fn poll_read_some(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_read_pipe(&self.pipe, cx, buf)
            }
        }

        impl_async_read!([] $reader);
    };
}

reader_methods!(
    ChildStdout,
    std::process::ChildStdout,
    "stdout",
    "\"printf x\""
);
reader_methods!(
    ChildStderr,
    std::process::ChildStderr,
    "stderr",
    "\"printf x >&2\""
);

impl PollWrite for ChildStdin {
    fn poll_write_some(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ChildStdin::poll_write_some(self, cx, buf)
    }

    fn poll_flush_some(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Nothing is buffered in user space.
        Poll::Ready(Ok(()))
    }

    fn poll_close_some(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close();
        Poll::Ready(Ok(()))
    }
}

impl_async_write!([] ChildStdin);
