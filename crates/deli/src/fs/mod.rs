//! Async files: [`File`], [`OpenOptions`], [`read_dir`] and the path
//! operations of `std::fs` ([`read`], [`write()`], [`copy`], [`rename`],
//! [`metadata`], …) for async code.
//!
//! Every call runs the `std::fs` call of the same name on the runtime's
//! blocking pool (see [`spawn_blocking`](crate::spawn_blocking)), so a
//! slow disk or a network file system never holds an async worker. A
//! [`File`] keeps one operation in flight and buffers around it — read-ahead
//! for reads, write-behind for writes — so that many small reads or writes
//! cost one trip to a blocking thread per buffer, not per call (see
//! `file.rs` for how the buffers move, and how seeks account for them).
//!
//! Errors are [`std::io::Error`]s with the operating system's kind: a bad
//! path is [`NotFound`](std::io::ErrorKind::NotFound), a file where a
//! directory was expected `NotADirectory`, and so on; nothing here panics
//! on bad input. A buffered write that fails is reported by the next call
//! on that `File`.
//!
//! ```
//! # deli::run(async {
//! let dir = std::env::temp_dir().join(format!("deli-doc-fs-{}", std::process::id()));
//! deli::fs::create_dir_all(&dir).await?;
//! deli::fs::write(dir.join("greeting"), "hello").await?;
//! deli::fs::copy(dir.join("greeting"), dir.join("copy")).await?;
//! assert_eq!(deli::fs::read_to_string(dir.join("copy")).await?, "hello");
//! let missing = deli::fs::read(dir.join("nope")).await.unwrap_err();
//! assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
//! deli::fs::remove_dir_all(&dir).await?;
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap();
//! ```
//!
//! ## Why the blocking pool, not io_uring (yet)
//!
//! Linux's io_uring could run file I/O without a thread per operation, but
//! it is not the default here because:
//! - it is Linux-only (and needs a recent kernel for the operations a file
//!   API wants: `openat`, `statx`, `renameat`, `unlinkat`…), while the
//!   blocking pool runs wherever `std::fs` does;
//! - many containers and sandboxes refuse it: Docker's default seccomp
//!   profile, gVisor and several hosted CI runners block
//!   `io_uring_setup`, and some distributions turn it off by sysctl, so
//!   a runtime would need the thread-pool path as a fallback anyway;
//! - for the common case — files in the page cache — a read or write is a
//!   memory copy, and with the buffering of [`File`] the thread hop is
//!   paid once per 256 KiB, not per call: the `fs` benchmark puts this
//!   design at tokio's speed, which is what users compare against;
//! - the ring's completion model (buffers owned by the kernel until an
//!   operation ends, cancellation that must be waited for) does not fit
//!   the `&mut [u8]` borrowed by `AsyncRead::poll_read` without an extra
//!   copy, so it would change the API or erase the gain.
//!
//! The design carries over: `File` already owns its buffers and keeps one
//! operation in flight, which is the shape a ring submission needs, so an
//! io_uring driver could later replace the blocking calls behind the same
//! types.
//!
//! This module owns the file types and their buffers. It may use the
//! runtime's [`spawn_blocking`](crate::spawn_blocking) and [`Ticket`](crate::Ticket),
//! `std::fs`, and the `futures_io` / `futures_core` (and, with `tokio-io`,
//! tokio's) traits; nothing below it imports it.

mod blocking;
mod file;
mod file_traits;
mod meta;
mod open_options;
mod read_dir;
mod tree;
mod whole;

pub use file::File;
pub use meta::{canonicalize, metadata, symlink_metadata, try_exists};
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use tree::{
    copy, create_dir, create_dir_all, hard_link, remove_dir, remove_dir_all, remove_file, rename,
};
pub use whole::{read, read_to_string, write};
