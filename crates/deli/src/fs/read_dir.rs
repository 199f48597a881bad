//! [`read_dir`]: a directory's entries as a [`ReadDir`] stream of
//! [`DirEntry`]s.
//!
//! Entries are fetched on the blocking pool in batches of [`BATCH`], so a
//! large directory costs one trip to the pool per batch rather than one per
//! entry; each entry's file type (which Linux returns with the name, in
//! `d_type`) is read in the same trip.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::blocking::{pool_error, run_blocking, start_blocking};
use crate::Ticket;

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 32;

/// One batch: the entries read, and the directory handle to go on with
/// (`None` once the end, or an error, has been reached).
type Batch = (VecDeque<io::Result<DirEntry>>, Option<std::fs::ReadDir>);

/// Opens the directory at `path` for listing its entries (`.` and `..`
/// are not among them).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-read_dir-{}", std::process::id()));
/// deli::fs::create_dir_all(&dir).await?;
/// deli::fs::write(dir.join("a.txt"), b"a").await?;
/// let mut names = Vec::new();
/// let mut entries = deli::fs::read_dir(&dir).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     names.push(entry.file_name());
/// }
/// assert_eq!(names, ["a.txt"]);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let (entries, rest) = run_blocking(move || std::fs::read_dir(path).map(next_batch)).await?;
    Ok(ReadDir {
        state: State::Idle(entries, rest),
    })
}

/// Reads up to [`BATCH`] entries from `dir` (on a blocking thread).
fn next_batch(mut dir: std::fs::ReadDir) -> Batch {
    let mut entries = VecDeque::with_capacity(BATCH);
    while entries.len() < BATCH {
        match dir.next() {
            Some(Ok(std_entry)) => {
                let file_type = std_entry.file_type().ok();
                entries.push_back(Ok(DirEntry {
                    std: Arc::new(std_entry),
                    file_type,
                }));
            }
            Some(Err(error)) => {
                // std's iterator may keep failing; stop at the first error.
                entries.push_back(Err(error));
                return (entries, None);
            }
            None => return (entries, None),
        }
    }
    (entries, Some(dir))
}

/// The entries of a directory, from [`read_dir`]: a
/// [`Stream`](futures_core::Stream) of `io::Result<DirEntry>`, or call
/// [`next_entry`](ReadDir::next_entry) in a loop.
///
/// # Examples
///
/// ```
/// use futures_util::StreamExt;
///
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-ReadDir-{}", std::process::id()));
/// deli::fs::create_dir_all(dir.join("sub")).await?;
/// let entries: Vec<_> = deli::fs::read_dir(&dir).await?.collect().await;
/// assert_eq!(entries.len(), 1);
/// assert!(entries[0].as_ref().unwrap().file_type().await?.is_dir());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ReadDir {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Entries ready to hand out, and the handle for the next batch.
    Idle(VecDeque<io::Result<DirEntry>>, Option<std::fs::ReadDir>),
    /// A batch is being read on the blocking pool.
    Busy(Ticket<Batch>),
}

impl ReadDir {
    /// The next entry, or `None` after the last.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let dir = std::env::temp_dir().join(format!("deli-doc-next_entry-{}", std::process::id()));
    /// deli::fs::create_dir_all(&dir).await?;
    /// let mut entries = deli::fs::read_dir(&dir).await?;
    /// assert!(entries.next_entry().await?.is_none());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await.transpose()
    }

    /// Polls for the next entry: the poll form of
    /// [`next_entry`](ReadDir::next_entry), for hand-written futures.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let mut entries = deli::fs::read_dir(".").await?;
    /// let first = std::future::poll_fn(|cx| entries.poll_next_entry(cx)).await;
    /// assert!(first.is_some());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(entries, rest) => {
                    if let Some(entry) = entries.pop_front() {
                        return Poll::Ready(Some(entry));
                    }
                    let Some(dir) = rest.take() else {
                        return Poll::Ready(None);
                    };
                    self.state = State::Busy(start_blocking(move || next_batch(dir)));
                }
                State::Busy(ticket) => {
                    let batch = ready!(Pin::new(ticket).poll(cx));
                    self.state = match batch {
                        Ok((entries, rest)) => State::Idle(entries, rest),
                        Err(error) => {
                            // The pool failed the batch: say so once, then end.
                            State::Idle(VecDeque::from([Err(pool_error(error))]), None)
                        }
                    };
                }
            }
        }
    }
}

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx)
    }
}

/// One entry of a directory listing.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-DirEntry-{}", std::process::id()));
/// deli::fs::create_dir_all(&dir).await?;
/// deli::fs::write(dir.join("f"), b"12").await?;
/// let entry = deli::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
/// assert_eq!(entry.path(), dir.join("f"));
/// assert_eq!(entry.metadata().await?.len(), 2);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Read with the entry, on the blocking thread; `None` if that failed,
    /// in which case [`file_type`](DirEntry::file_type) asks again.
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The entry's full path: the directory given to [`read_dir`] joined
    /// with [`file_name`](DirEntry::file_name).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let entry = deli::fs::read_dir(".").await?.next_entry().await?.unwrap();
    /// assert!(entry.path().starts_with("."));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let entry = deli::fs::read_dir(".").await?.next_entry().await?.unwrap();
    /// assert_eq!(entry.path().file_name(), Some(entry.file_name().as_os_str()));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata, not following a symbolic link (as
    /// [`std::fs::DirEntry::metadata`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let entry = deli::fs::read_dir(".").await?.next_entry().await?.unwrap();
    /// let meta = entry.metadata().await?;
    /// assert_eq!(meta.is_dir(), entry.file_type().await?.is_dir());
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = Arc::clone(&self.std);
        run_blocking(move || std.metadata()).await
    }

    /// The entry's file type, not following a symbolic link. Usually known
    /// from the listing itself, without another system call.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let dir = std::env::temp_dir().join(format!("deli-doc-file_type-{}", std::process::id()));
    /// deli::fs::create_dir_all(&dir).await?;
    /// deli::fs::write(dir.join("f"), b"").await?;
    /// let entry = deli::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    /// assert!(entry.file_type().await?.is_file());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = Arc::clone(&self.std);
        run_blocking(move || std.file_type()).await
    }
}
