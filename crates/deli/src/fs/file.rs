//! [`File`]: an open file whose reads, writes and seeks run on the
//! blocking pool, one operation at a time, through buffers owned by the
//! `File` so that small calls do not each cost a trip to a thread.
//!
//! How the buffers move. Exactly one operation is in flight at most; it
//! owns the buffer it works on and hands it back when it completes.
//! - **Reads** fill a read-ahead buffer of at least [`READ_AHEAD`] bytes
//!   (more if the caller asks for more, up to [`MAX_OP`]); later reads are
//!   served from it without a thread hop until it is drained.
//! - **Writes** are write-behind: a write copies the bytes into the write
//!   buffer and returns at once. When that buffer holds [`WRITE_BEHIND`]
//!   bytes it is handed to the blocking pool, and the next writes fill a
//!   second buffer meanwhile; only when that one is full too does a write
//!   wait. A failed write is kept and returned by the next call on the
//!   `File` (read, write, seek, flush or a method), never dropped.
//! - **Seeks** first write out what is buffered, and a `Current` seek is
//!   moved back by the read-ahead bytes not consumed yet, so positions are
//!   the ones the caller sees, not the OS cursor's. Switching from reading
//!   to writing rewinds the cursor the same way first.
//!
//! Dropping a `File` with buffered writes hands them to the blocking pool
//! (after any operation in flight) without waiting; errors there cannot
//! be reported, so call [`flush`](File::flush) or
//! [`sync_all`](File::sync_all) when they matter.

use std::fs::{Metadata, Permissions};
use std::future::{poll_fn, Future};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::blocking::{pool_error, run_blocking, start_blocking};
use super::OpenOptions;
use crate::Ticket;

/// Smallest read asked of the OS, and the buffered write bytes that start
/// a write on the blocking pool. 256 KiB, chosen on `deli-bench -- fs`
/// (`big_file`: 256 MiB in 64 KiB chunks): at 64 KiB every 64 KiB call
/// cost a hop, as in tokio, and deli's median was 1.17x tokio's on the
/// loaded 2-core machine; at 256 KiB four calls share a hop and the median
/// fell to 0.47x. Memory: a `File` holds at most one read buffer and two
/// write buffers of this size (or one operation's [`MAX_OP`]).
pub(super) const READ_AHEAD: usize = 256 * 1024;
/// See [`READ_AHEAD`].
pub(super) const WRITE_BEHIND: usize = 256 * 1024;
/// Most bytes one operation reads or writes (as tokio's `File`): bounds
/// the memory a `File` holds and the copy one call makes.
pub(super) const MAX_OP: usize = 2 * 1024 * 1024;

/// An open file for async code.
///
/// Implements `futures_io::AsyncRead`, `AsyncWrite` and `AsyncSeek` (so
/// `futures_util`'s extension traits work), tokio's three traits with the
/// `tokio-io` feature, and has the common calls as methods:
/// [`read`](File::read), [`write_all`](File::write_all),
/// [`flush`](File::flush), [`seek`](File::seek). Writes are buffered:
/// [`flush`](File::flush) (or [`sync_all`](File::sync_all)) before another
/// handle reads the file or to see a write's error.
///
/// # Examples
///
/// ```
/// use std::io::SeekFrom;
///
/// # deli::run(async {
/// let path = std::env::temp_dir().join(format!("deli-doc-File-{}", std::process::id()));
/// let mut file = deli::fs::File::options()
///     .read(true)
///     .write(true)
///     .create(true)
///     .truncate(true)
///     .open(&path)
///     .await?;
/// for line in ["one\n", "two\n", "three\n"] {
///     file.write_all(line.as_bytes()).await?; // buffered, no thread hop each
/// }
/// file.seek(SeekFrom::Start(4)).await?;      // writes the buffer first
/// let mut word = [0; 3];
/// file.read_exact(&mut word).await?;
/// assert_eq!(&word, b"two");
/// file.sync_all().await?;
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct File {
    std: Arc<std::fs::File>,
    /// The one operation in flight, if any.
    op: Option<Ticket<Done>>,
    /// Read-ahead storage: `read_buf[read_pos..read_end]` is not consumed
    /// yet. Its length only grows, so it is zeroed once, not per read.
    read_buf: Vec<u8>,
    read_pos: usize,
    read_end: usize,
    /// Bytes accepted by `write` and not yet handed to the pool.
    write_buf: Vec<u8>,
    /// A write buffer back from the pool, reused for the next one.
    spare: Vec<u8>,
    /// A write-behind (or pool) failure, returned by the next call.
    error: Option<io::Error>,
    /// The seek the caller of `poll_seek` / `start_seek` is waiting for.
    seeking: Option<SeekFrom>,
    /// The position the last seek reached (tokio's `poll_complete` returns
    /// it when no seek is in flight).
    last_seek: u64,
}

/// What a finished operation hands back: its buffer and its outcome.
#[derive(Debug)]
enum Done {
    Read {
        buf: Vec<u8>,
        result: io::Result<usize>,
    },
    Wrote {
        buf: Vec<u8>,
        result: io::Result<()>,
    },
    Seek {
        buf: Vec<u8>,
        result: io::Result<u64>,
        /// Asked by the caller (`seek`), not a rewind of deli's own.
        asked: bool,
    },
}

/// An operation's outcome as the poll functions see it; write failures
/// and failures of the pool go to `File::error` instead.
enum Finished {
    Read(io::Result<usize>),
    Seek(io::Result<u64>),
    Other,
}

impl File {
    /// Opens `path` for reading.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let mut file = deli::fs::File::open("Cargo.toml").await?;
    /// let mut start = [0; 9];
    /// file.read_exact(&mut start).await?;
    /// assert_eq!(&start, b"[package]");
    /// let missing = deli::fs::File::open("no/such/file").await.unwrap_err();
    /// assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` for writing, creating it or truncating it.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-create-{}", std::process::id()));
    /// let mut file = deli::fs::File::create(&path).await?;
    /// file.write_all(b"new").await?;
    /// file.flush().await?;
    /// assert_eq!(std::fs::read(&path)?, b"new");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Options for opening a file in any other way (as
    /// [`OpenOptions::new`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-options-{}", std::process::id()));
    /// let file = deli::fs::File::options().append(true).create(true).open(&path).await?;
    /// # drop(file);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a file opened by `std`; reads and writes go on from its
    /// current position.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let std_file = std::fs::File::open("Cargo.toml")?;
    /// let mut file = deli::fs::File::from_std(std_file);
    /// let mut byte = [0; 1];
    /// file.read_exact(&mut byte).await?;
    /// assert_eq!(&byte, b"[");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn from_std(std: std::fs::File) -> File {
        File {
            std: Arc::new(std),
            op: None,
            read_buf: Vec::new(),
            read_pos: 0,
            read_end: 0,
            write_buf: Vec::new(),
            spare: Vec::new(),
            error: None,
            seeking: None,
            last_seek: 0,
        }
    }

    /// Writes out what is buffered, puts the OS cursor where the caller
    /// left off (undoing read-ahead) and returns the `std` file.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Seek};
    ///
    /// # deli::run(async {
    /// let mut file = deli::fs::File::open("Cargo.toml").await?;
    /// let mut first = [0; 1];
    /// file.read_exact(&mut first).await?; // read ahead by up to 256 KiB
    /// let mut std_file = file.into_std().await?;
    /// assert_eq!(std_file.stream_position()?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn into_std(mut self) -> io::Result<std::fs::File> {
        self.settle().await?;
        let std = Arc::clone(&self.std);
        drop(self);
        // Settled, the drop above started nothing, and the last operation's
        // closure dropped its clone when it returned: this is the last
        // `Arc`. Duplicate the descriptor should that ever not hold.
        match Arc::try_unwrap(std) {
            Ok(std) => Ok(std),
            Err(shared) => shared.try_clone(),
        }
    }

    /// A second `File` for the same open file (a duplicated descriptor:
    /// the two share the OS cursor, not their buffers).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let file = deli::fs::File::open("Cargo.toml").await?;
    /// let twin = file.try_clone().await?;
    /// assert_eq!(twin.metadata().await?.len(), file.metadata().await?.len());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = Arc::clone(&self.std);
        let twin = run_blocking(move || std.try_clone()).await?;
        Ok(File::from_std(twin))
    }

    /// The file's metadata. Buffered writes are not in it yet:
    /// [`flush`](File::flush) first to see them.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let file = deli::fs::File::open("Cargo.toml").await?;
    /// assert!(file.metadata().await?.is_file());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        run_blocking(move || std.metadata()).await
    }

    /// Sets the file's permission bits.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-perm-{}", std::process::id()));
    /// let file = deli::fs::File::create(&path).await?;
    /// file.set_permissions(std::fs::Permissions::from_mode(0o600)).await?;
    /// assert_eq!(file.metadata().await?.permissions().mode() & 0o777, 0o600);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        let std = Arc::clone(&self.std);
        run_blocking(move || std.set_permissions(permissions)).await
    }

    /// Truncates or extends the file to `size` bytes (buffered writes go
    /// out first; the position does not move).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-set_len-{}", std::process::id()));
    /// let mut file = deli::fs::File::create(&path).await?;
    /// file.write_all(b"hello world").await?;
    /// file.set_len(5).await?;
    /// assert_eq!(std::fs::read(&path)?, b"hello");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        self.settle().await?;
        let std = Arc::clone(&self.std);
        run_blocking(move || std.set_len(size)).await
    }

    /// Writes out what is buffered and waits until the data and metadata
    /// are on the device (`fsync`).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-sync_all-{}", std::process::id()));
    /// let mut file = deli::fs::File::create(&path).await?;
    /// file.write_all(b"durable").await?;
    /// file.sync_all().await?;
    /// assert_eq!(std::fs::read(&path)?, b"durable");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.settle().await?;
        let std = Arc::clone(&self.std);
        run_blocking(move || std.sync_all()).await
    }

    /// As [`sync_all`](File::sync_all) but without waiting for metadata
    /// that reading the data back does not need (`fdatasync`).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-sync_data-{}", std::process::id()));
    /// let mut file = deli::fs::File::create(&path).await?;
    /// file.write_all(b"data").await?;
    /// file.sync_data().await?;
    /// assert_eq!(std::fs::read(&path)?, b"data");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.settle().await?;
        let std = Arc::clone(&self.std);
        run_blocking(move || std.sync_data()).await
    }

    /// Reads some bytes into `buf`; `Ok(0)` at the end of the file.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let mut file = deli::fs::File::open("Cargo.toml").await?;
    /// let mut buf = [0; 16];
    /// let n = file.read(&mut buf).await?;
    /// assert!(n > 0);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_bytes(cx, buf)).await
    }

    /// Fills `buf` completely, or fails with
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the file ends
    /// first.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let mut file = deli::fs::File::open("Cargo.toml").await?;
    /// let mut buf = [0; 4];
    /// assert_eq!(file.read_exact(&mut buf).await?, 4);
    /// assert_eq!(&buf, b"[pac");
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<usize> {
        let wanted = buf.len();
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file ended before the buffer was filled",
                    ))
                }
                n => buf = &mut buf[n..],
            }
        }
        Ok(wanted)
    }

    /// Reads from the position to the end of the file, appending to `buf`;
    /// returns the number of bytes read.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let mut file = deli::fs::File::open("Cargo.toml").await?;
    /// let mut all = Vec::new();
    /// file.read_to_end(&mut all).await?;
    /// assert_eq!(all, std::fs::read("Cargo.toml")?);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = vec![0; READ_AHEAD];
        loop {
            match self.read(&mut chunk).await? {
                0 => return Ok(buf.len() - start),
                n => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Writes all of `buf` (into the write-behind buffer: the bytes reach
    /// the file by the next [`flush`](File::flush) at the latest).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-write_all-{}", std::process::id()));
    /// let mut file = deli::fs::File::create(&path).await?;
    /// file.write_all(b"abc").await?;
    /// file.flush().await?;
    /// assert_eq!(std::fs::read(&path)?, b"abc");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = poll_fn(|cx| self.poll_write_bytes(cx, buf)).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Hands every buffered byte to the OS and waits for it; returns the
    /// error of any earlier write that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let path = std::env::temp_dir().join(format!("deli-doc-flush-{}", std::process::id()));
    /// let mut file = deli::fs::File::create(&path).await?;
    /// file.write_all(b"x").await?;
    /// file.flush().await?;
    /// assert_eq!(file.metadata().await?.len(), 1);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_bytes(cx)).await
    }

    /// Moves the position and returns it, counted from the start. Buffered
    /// writes go out first; `SeekFrom::Current` counts from the position
    /// the caller has read to, not the read-ahead's end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::SeekFrom;
    ///
    /// # deli::run(async {
    /// let mut file = deli::fs::File::open("Cargo.toml").await?;
    /// let mut two = [0; 2];
    /// file.read_exact(&mut two).await?;
    /// assert_eq!(file.seek(SeekFrom::Current(0)).await?, 2);
    /// assert_eq!(file.seek(SeekFrom::Start(1)).await?, 1);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        poll_fn(|cx| self.poll_seek_to(cx, pos)).await
    }

    /// Leaves the file with nothing buffered and nothing in flight, the
    /// OS cursor at the caller's position; cheap when there is nothing to
    /// do.
    async fn settle(&mut self) -> io::Result<()> {
        let clean =
            self.op.is_none() && self.write_buf.is_empty() && self.read_pos == self.read_end;
        if clean {
            return self.error.take().map_or(Ok(()), Err);
        }
        self.seek(SeekFrom::Current(0)).await.map(drop)
    }

    // The poll functions every trait implementation forwards to.

    pub(super) fn poll_read_bytes(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            if self.read_end > self.read_pos {
                let n = dst.len().min(self.read_end - self.read_pos);
                dst[..n].copy_from_slice(&self.read_buf[self.read_pos..self.read_pos + n]);
                self.read_pos += n;
                return Poll::Ready(Ok(n));
            }
            if self.op.is_some() {
                match ready!(self.poll_op(cx)) {
                    Finished::Read(Ok(0)) => return Poll::Ready(Ok(0)),
                    Finished::Read(Err(error)) => return Poll::Ready(Err(error)),
                    _ => continue,
                }
            }
            if let Some(error) = self.error.take() {
                return Poll::Ready(Err(error));
            }
            if !self.write_buf.is_empty() {
                self.start_write();
                continue;
            }
            if dst.is_empty() {
                return Poll::Ready(Ok(0));
            }
            self.start_read(dst.len().clamp(READ_AHEAD, MAX_OP));
        }
    }

    pub(super) fn poll_write_bytes(
        &mut self,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            if let Some(error) = self.error.take() {
                return Poll::Ready(Err(error));
            }
            if self.read_end > self.read_pos || self.write_buf.len() >= WRITE_BEHIND {
                if self.op.is_some() {
                    ready!(self.poll_op(cx));
                } else if self.read_end > self.read_pos {
                    // The OS cursor is past what the caller has read: put
                    // it back before these bytes land.
                    if let Err(error) = self.start_seek(SeekFrom::Current(0), false) {
                        return Poll::Ready(Err(error));
                    }
                } else {
                    self.start_write();
                }
                continue;
            }
            if src.is_empty() {
                return Poll::Ready(Ok(0));
            }
            // An empty buffer takes a large write whole (up to MAX_OP), so
            // it goes out in one operation rather than in WRITE_BEHIND
            // slices.
            let room = if self.write_buf.is_empty() {
                MAX_OP
            } else {
                WRITE_BEHIND - self.write_buf.len()
            };
            let n = src.len().min(room);
            self.write_buf.extend_from_slice(&src[..n]);
            if self.write_buf.len() >= WRITE_BEHIND && self.op.is_none() {
                self.start_write();
            }
            return Poll::Ready(Ok(n));
        }
    }

    pub(super) fn poll_flush_bytes(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if self.op.is_some() {
                ready!(self.poll_op(cx));
                continue;
            }
            if let Some(error) = self.error.take() {
                return Poll::Ready(Err(error));
            }
            if self.write_buf.is_empty() {
                return Poll::Ready(Ok(()));
            }
            self.start_write();
        }
    }

    /// The `futures_io` seek: wait for what is in flight, start the seek,
    /// wait for it.
    pub(super) fn poll_seek_to(
        &mut self,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        loop {
            if self.op.is_some() {
                if let Finished::Seek(result) = ready!(self.poll_op(cx)) {
                    // Ours only if this very seek was started (an abandoned
                    // seek's result is dropped and this one starts afresh).
                    if self.seeking.take() == Some(pos) {
                        return Poll::Ready(result);
                    }
                }
                continue;
            }
            if let Some(error) = self.error.take() {
                return Poll::Ready(Err(error));
            }
            if let Err(error) = self.start_seek(pos, true) {
                return Poll::Ready(Err(error));
            }
        }
    }

    /// tokio's `start_seek`: refuses while an operation is in flight.
    #[cfg_attr(not(feature = "tokio-io"), allow(dead_code))]
    pub(super) fn start_asked_seek(&mut self, pos: SeekFrom) -> io::Result<()> {
        if self.op.is_some() {
            return Err(io::Error::other(
                "a file operation is still in flight: poll_complete it before start_seek",
            ));
        }
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.start_seek(pos, true)
    }

    /// tokio's `poll_complete`: the result of the seek in flight, or the
    /// last position reached when none is.
    #[cfg_attr(not(feature = "tokio-io"), allow(dead_code))]
    pub(super) fn poll_seek_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        while self.op.is_some() {
            if let Finished::Seek(result) = ready!(self.poll_op(cx)) {
                self.seeking = None;
                return Poll::Ready(result);
            }
        }
        Poll::Ready(Ok(self.last_seek))
    }

    /// Waits for the operation in flight and takes its buffer back.
    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<Finished> {
        let Some(ticket) = &mut self.op else {
            return Poll::Ready(Finished::Other);
        };
        let done = ready!(Pin::new(ticket).poll(cx));
        self.op = None;
        Poll::Ready(match done {
            Ok(Done::Read { buf, result }) => {
                self.read_buf = buf;
                self.read_pos = 0;
                self.read_end = *result.as_ref().unwrap_or(&0);
                Finished::Read(result)
            }
            Ok(Done::Wrote { buf, result }) => {
                self.spare = buf;
                if let Err(error) = result {
                    self.error.get_or_insert(error);
                }
                Finished::Other
            }
            Ok(Done::Seek { buf, result, asked }) => {
                self.spare = buf;
                if let Ok(position) = result {
                    self.last_seek = position;
                }
                if asked {
                    Finished::Seek(result)
                } else {
                    if let Err(error) = result {
                        self.error.get_or_insert(error);
                    }
                    Finished::Other
                }
            }
            Err(job_error) => {
                self.error.get_or_insert(pool_error(job_error));
                Finished::Other
            }
        })
    }

    fn start_read(&mut self, want: usize) {
        let mut buf = std::mem::take(&mut self.read_buf);
        self.read_pos = 0;
        self.read_end = 0;
        let std = Arc::clone(&self.std);
        self.op = Some(start_blocking(move || {
            if buf.len() < want {
                buf.resize(want, 0);
            }
            let result = read_retrying(&std, &mut buf[..want]);
            Done::Read { buf, result }
        }));
    }

    fn start_write(&mut self) {
        let next = std::mem::take(&mut self.spare);
        let mut buf = std::mem::replace(&mut self.write_buf, next);
        let std = Arc::clone(&self.std);
        self.op = Some(start_blocking(move || {
            let result = (&*std).write_all(&buf);
            buf.clear();
            Done::Wrote { buf, result }
        }));
    }

    /// Starts a seek that first writes out the buffer and counts
    /// `Current` from the caller's position. Needs no operation in flight.
    fn start_seek(&mut self, asked_pos: SeekFrom, asked: bool) -> io::Result<()> {
        let unread = (self.read_end - self.read_pos) as i64;
        let pos = match asked_pos {
            SeekFrom::Current(offset) => {
                SeekFrom::Current(offset.checked_sub(unread).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "seek offset out of range")
                })?)
            }
            other => other,
        };
        self.read_pos = 0;
        self.read_end = 0;
        let next = std::mem::take(&mut self.spare);
        let mut buf = std::mem::replace(&mut self.write_buf, next);
        let std = Arc::clone(&self.std);
        if asked {
            self.seeking = Some(asked_pos);
        }
        self.op = Some(start_blocking(move || {
            let result = (&*std).write_all(&buf).and_then(|()| (&*std).seek(pos));
            buf.clear();
            Done::Seek { buf, result, asked }
        }));
        Ok(())
    }
}

/// One `read`, retried when a signal interrupts it.
fn read_retrying(mut file: &std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        if self.write_buf.is_empty() {
            // An operation in flight finishes on its own.
            return;
        }
        let pending = std::mem::take(&mut self.write_buf);
        let before = self.op.take();
        let std = Arc::clone(&self.std);
        // Detached: dropping a ticket does not cancel its job.
        drop(start_blocking(move || {
            if let Some(before) = before {
                // Keep the file's order: the bytes in flight land first.
                let _ = before.wait_blocking();
            }
            let _ = (&*std).write_all(&pending);
        }));
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}
