//! Questions about paths: [`metadata`], [`symlink_metadata`],
//! [`canonicalize`] and [`try_exists`], each the `std` call of the same
//! name run once on the blocking pool.

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use super::blocking::on_path;

/// Queries the metadata of `path`, following symbolic links.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-metadata-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::write(dir.join("f"), b"four").await?;
/// let meta = deli::fs::metadata(dir.join("f")).await?;
/// assert!(meta.is_file());
/// assert_eq!(meta.len(), 4);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path(path, std::fs::metadata).await
}

/// Queries the metadata of `path` itself: a symbolic link is described, not
/// followed.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-symlink_metadata-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::write(dir.join("target"), b"x").await?;
/// std::os::unix::fs::symlink(dir.join("target"), dir.join("link"))?;
/// assert!(deli::fs::symlink_metadata(dir.join("link")).await?.file_type().is_symlink());
/// assert!(deli::fs::metadata(dir.join("link")).await?.is_file());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    on_path(path, std::fs::symlink_metadata).await
}

/// The absolute form of `path` with every `.`, `..` and symbolic link
/// resolved; the path must exist.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-canonicalize-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// deli::fs::create_dir(dir.join("sub")).await?;
/// let resolved = deli::fs::canonicalize(dir.join("sub/..")).await?;
/// assert_eq!(resolved, deli::fs::canonicalize(&dir).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_path(path, std::fs::canonicalize).await
}

/// Whether `path` exists (following symbolic links): `Ok(false)` when it
/// does not, an error only when that cannot be told (e.g. a permission
/// denied on a parent).
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let dir = std::env::temp_dir().join(format!("deli-doc-try_exists-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// assert!(!deli::fs::try_exists(dir.join("nothing")).await?);
/// deli::fs::write(dir.join("something"), b"").await?;
/// assert!(deli::fs::try_exists(dir.join("something")).await?);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    on_path(path, |path| path.try_exists()).await
}
