//! [`Stdin`]: reads of the process's standard input on the blocking pool,
//! and line reading on top of them.

use std::future::{poll_fn, Future};
use std::io::{self, BufRead, Read};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::task::JobError;
use crate::{spawn_blocking, Ticket};

/// Most bytes one read asks of std's stdin.
const MAX_READ: usize = 64 * 1024;

/// A handle to the process's standard input, for async code.
///
/// # Examples
///
/// ```no_run
/// # deli::run(async {
/// let mut stdin = deli::io::stdin();
/// let mut line = String::new();
/// while stdin.read_line(&mut line).await? > 0 {
///     print!("got {line}");
///     line.clear();
/// }
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn stdin() -> Stdin {
    Stdin {
        op: None,
        buf: Vec::new(),
        pos: 0,
    }
}

/// The process's standard input: `futures_io::AsyncRead` (and tokio's
/// with `tokio-io`), [`read`](Stdin::read), [`read_line`](Stdin::read_line)
/// and [`lines`](Stdin::lines). From [`stdin()`].
///
/// Each handle has one read in flight at most. The futures of `read` and
/// `read_line` may be dropped (in a `select`, a timeout) without losing
/// input: what the blocking read brings back is kept in the handle for its
/// next call.
///
/// # Examples
///
/// ```no_run
/// use futures_util::StreamExt;
///
/// # deli::run(async {
/// let mut lines = deli::io::stdin().lines();
/// while let Some(line) = lines.next().await {
///     println!("{}", line?.to_uppercase());
/// }
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Stdin {
    op: Option<Op>,
    /// Bytes a finished operation brought back and no caller took yet:
    /// `buf[pos..]`.
    buf: Vec<u8>,
    pos: usize,
}

/// The read in flight, and what it returns.
#[derive(Debug)]
enum Op {
    /// Some bytes (`read`).
    Bytes(Ticket<io::Result<Vec<u8>>>),
    /// One line through std's buffer, newline included (`read_line`).
    Line(Ticket<io::Result<Vec<u8>>>),
}

impl Stdin {
    /// Reads some bytes into `buf`; `Ok(0)` at the end of input.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # deli::run(async {
    /// let mut buf = [0; 1024];
    /// let n = deli::io::stdin().read(&mut buf).await?;
    /// println!("read {n} bytes");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_bytes(cx, buf)).await
    }

    /// Reads one line, newline included, and appends it to `line`; returns
    /// the number of bytes appended, 0 at the end of input. A line that is
    /// not UTF-8 is an [`InvalidData`](io::ErrorKind::InvalidData) error
    /// and appends nothing (as [`std::io::Stdin::read_line`]).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # deli::run(async {
    /// let mut name = String::new();
    /// deli::io::stdin().read_line(&mut name).await?;
    /// println!("hello, {}", name.trim_end());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_line(&mut self, line: &mut String) -> io::Result<usize> {
        let bytes = poll_fn(|cx| self.poll_line(cx)).await?;
        let text = String::from_utf8(bytes)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.utf8_error()))?;
        line.push_str(&text);
        Ok(text.len())
    }

    /// The lines of the input as a [`Stream`](futures_core::Stream) of
    /// `io::Result<String>`, without their `\n` or `\r\n`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use futures_util::TryStreamExt;
    ///
    /// # deli::run(async {
    /// let all: Vec<String> = deli::io::stdin().lines().try_collect().await?;
    /// println!("{} lines", all.len());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn lines(self) -> Lines {
        Lines { stdin: self }
    }

    /// One line from the bytes kept or from std, newline included (empty
    /// at the end of input). Nothing is taken from the handle until a
    /// whole line is there, so a dropped `read_line` loses nothing.
    fn poll_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Vec<u8>>> {
        loop {
            let kept = &self.buf[self.pos..];
            if let Some(newline) = kept.iter().position(|&b| b == b'\n') {
                return Poll::Ready(Ok(self.take(newline + 1)));
            }
            if ready!(self.poll_fill(cx, true))? == 0 {
                // End of input: whatever is kept is the last line.
                let rest = self.buf.len() - self.pos;
                return Poll::Ready(Ok(self.take(rest)));
            }
        }
    }

    pub(super) fn poll_read_bytes(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.pos == self.buf.len() && ready!(self.poll_fill_sized(cx, false, dst.len()))? == 0 {
            return Poll::Ready(Ok(0));
        }
        let n = dst.len().min(self.buf.len() - self.pos);
        dst[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.take(n);
        Poll::Ready(Ok(n))
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>, line: bool) -> Poll<io::Result<usize>> {
        self.poll_fill_sized(cx, line, MAX_READ)
    }

    /// Runs (or goes on waiting for) one blocking read and keeps what it
    /// brought; returns how many bytes that was (0: end of input). An
    /// operation already in flight is finished first, whatever its kind.
    fn poll_fill_sized(
        &mut self,
        cx: &mut Context<'_>,
        line: bool,
        want: usize,
    ) -> Poll<io::Result<usize>> {
        let op = self.op.get_or_insert_with(|| {
            if line {
                Op::Line(spawn_blocking(|| {
                    let mut line = Vec::new();
                    io::stdin()
                        .lock()
                        .read_until(b'\n', &mut line)
                        .map(|_| line)
                }))
            } else {
                let want = want.min(MAX_READ);
                Op::Bytes(spawn_blocking(move || {
                    let mut bytes = vec![0; want];
                    let n = read_retrying(&mut bytes)?;
                    bytes.truncate(n);
                    Ok(bytes)
                }))
            }
        });
        let (Op::Bytes(ticket) | Op::Line(ticket)) = op;
        let outcome = ready!(Pin::new(ticket).poll(cx));
        self.op = None;
        let bytes = outcome.map_err(pool_error)??;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        self.buf.extend_from_slice(&bytes);
        Poll::Ready(Ok(bytes.len()))
    }

    /// Takes `n` kept bytes.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let taken = self.buf[self.pos..self.pos + n].to_vec();
        self.pos += n;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        taken
    }
}

/// One read of std's stdin, retried when a signal interrupts it.
fn read_retrying(buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match io::stdin().read(buf) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

fn pool_error(error: JobError) -> io::Error {
    io::Error::other(error)
}

/// The lines of standard input, from [`Stdin::lines`]: a
/// [`Stream`](futures_core::Stream) of `io::Result<String>`, or call
/// [`next_line`](Lines::next_line).
///
/// # Examples
///
/// ```no_run
/// # deli::run(async {
/// let mut lines = deli::io::stdin().lines();
/// if let Some(first) = lines.next_line().await? {
///     println!("first line: {first}");
/// }
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Lines {
    stdin: Stdin,
}

impl Lines {
    /// The next line without its line ending, or `None` at the end of
    /// input.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # deli::run(async {
    /// let mut lines = deli::io::stdin().lines();
    /// while let Some(line) = lines.next_line().await? {
    ///     println!("{line}");
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        poll_fn(|cx| self.poll_next_line(cx)).await.transpose()
    }

    /// The [`Stdin`] back, with any input it holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let stdin = deli::io::stdin().lines().into_inner();
    /// # drop(stdin);
    /// ```
    pub fn into_inner(self) -> Stdin {
        self.stdin
    }

    fn poll_next_line(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<String>>> {
        let mut bytes = match ready!(self.stdin.poll_line(cx)) {
            Ok(bytes) if bytes.is_empty() => return Poll::Ready(None),
            Ok(bytes) => bytes,
            Err(error) => return Poll::Ready(Some(Err(error))),
        };
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Poll::Ready(Some(String::from_utf8(bytes).map_err(|error| {
            io::Error::new(io::ErrorKind::InvalidData, error.utf8_error())
        })))
    }
}

impl futures_core::Stream for Lines {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_line(cx)
    }
}

impl crate::io::PollRead for Stdin {
    fn poll_read_some(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_bytes(cx, buf)
    }
}

crate::io::impl_async_read!([] Stdin);
