//! Whole-file operations: [`read`], [`read_to_string`] and [`write`], each
//! one blocking call (and so one trip to the blocking pool) for the whole
//! file.

use std::io;
use std::path::Path;

use super::blocking::{on_path, run_blocking};

/// Reads the whole file at `path` into a byte vector.
///
/// Errors are the operating system's: a missing file is
/// [`NotFound`](io::ErrorKind::NotFound).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let path = std::env::temp_dir().join(format!("deli-doc-read-{}", std::process::id()));
/// deli::fs::write(&path, b"hello").await?;
/// assert_eq!(deli::fs::read(&path).await?, b"hello");
/// deli::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_path(path, std::fs::read).await
}

/// Reads the whole file at `path` into a string; bytes that are not UTF-8
/// are an [`InvalidData`](io::ErrorKind::InvalidData) error.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let path = std::env::temp_dir().join(format!("deli-doc-rts-{}", std::process::id()));
/// deli::fs::write(&path, "héllo").await?;
/// assert_eq!(deli::fs::read_to_string(&path).await?, "héllo");
/// deli::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_path(path, std::fs::read_to_string).await
}

/// Writes `contents` as the whole of the file at `path`, creating it or
/// truncating it first.
///
/// The bytes are copied once into the call (the blocking thread needs its
/// own), as [`std::fs::write`] would be given them.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let path = std::env::temp_dir().join(format!("deli-doc-write-{}", std::process::id()));
/// deli::fs::write(&path, [1u8, 2, 3]).await?;
/// assert_eq!(std::fs::read(&path)?, [1, 2, 3]);
/// deli::fs::remove_file(&path).await?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    run_blocking(move || std::fs::write(path, contents)).await
}
