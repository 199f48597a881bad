//! Operations that change the directory tree: [`copy`], [`rename`],
//! [`remove_file`], [`remove_dir`], [`remove_dir_all`], [`create_dir`],
//! [`create_dir_all`] and [`hard_link`]. Each is the `std::fs` call of the
//! same name run once on the blocking pool, with the OS's error.

use std::io;
use std::path::Path;

use super::blocking::{on_path, run_blocking};

/// Copies the contents of `from` to `to` (creating or truncating it) and
/// its permission bits; returns the number of bytes copied. On Linux the
/// kernel copies (`copy_file_range`) without the bytes passing through
/// this process.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-copy-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::write(dir.join("a"), b"abc").await?;
/// assert_eq!(deli::fs::copy(dir.join("a"), dir.join("b")).await?, 3);
/// assert_eq!(deli::fs::read(dir.join("b")).await?, b"abc");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    run_blocking(move || std::fs::copy(from, to)).await
}

/// Renames `from` to `to`, replacing `to` if it is a file. Both must be
/// on one file system (the OS refuses a move across devices).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-rename-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::write(dir.join("old"), b"x").await?;
/// deli::fs::rename(dir.join("old"), dir.join("new")).await?;
/// assert!(!deli::fs::try_exists(dir.join("old")).await?);
/// assert!(deli::fs::try_exists(dir.join("new")).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let from = from.as_ref().to_owned();
    let to = to.as_ref().to_owned();
    run_blocking(move || std::fs::rename(from, to)).await
}

/// Removes the file (or symbolic link) at `path`.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-remove_file-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::write(dir.join("f"), b"x").await?;
/// deli::fs::remove_file(dir.join("f")).await?;
/// let gone = deli::fs::remove_file(dir.join("f")).await.unwrap_err();
/// assert_eq!(gone.kind(), std::io::ErrorKind::NotFound);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, std::fs::remove_file).await
}

/// Removes the empty directory at `path`; one with entries is an error
/// ([`DirectoryNotEmpty`](io::ErrorKind::DirectoryNotEmpty)).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-remove_dir-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::create_dir(dir.join("empty")).await?;
/// deli::fs::remove_dir(dir.join("empty")).await?;
/// assert!(!deli::fs::try_exists(dir.join("empty")).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, std::fs::remove_dir).await
}

/// Removes the directory at `path` and everything in it (symbolic links
/// are removed, not followed).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-remove_dir_all-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::create_dir_all(dir.join("a/b")).await?;
/// deli::fs::write(dir.join("a/b/f"), b"x").await?;
/// deli::fs::remove_dir_all(dir.join("a")).await?;
/// assert!(!deli::fs::try_exists(dir.join("a")).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, std::fs::remove_dir_all).await
}

/// Creates the directory `path`; its parent must exist, and an existing
/// `path` is [`AlreadyExists`](io::ErrorKind::AlreadyExists).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-create_dir-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::create_dir(dir.join("d")).await?;
/// assert!(deli::fs::metadata(dir.join("d")).await?.is_dir());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, std::fs::create_dir).await
}

/// Creates the directory `path` and every missing parent; a directory that
/// already exists is not an error.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-create_dir_all-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::create_dir_all(dir.join("x/y/z")).await?;
/// deli::fs::create_dir_all(dir.join("x/y/z")).await?;
/// assert!(deli::fs::metadata(dir.join("x/y/z")).await?.is_dir());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_path(path, std::fs::create_dir_all).await
}

/// Makes `link` a new name (hard link) for the file `original`.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-hard_link-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::write(dir.join("a"), b"shared").await?;
/// deli::fs::hard_link(dir.join("a"), dir.join("b")).await?;
/// assert_eq!(deli::fs::read(dir.join("b")).await?, b"shared");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let original = original.as_ref().to_owned();
    let link = link.as_ref().to_owned();
    run_blocking(move || std::fs::hard_link(original, link)).await
}
