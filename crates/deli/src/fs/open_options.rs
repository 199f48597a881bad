//! [`OpenOptions`]: how a [`File`] is opened, as [`std::fs::OpenOptions`]
//! says it, with an async [`open`](OpenOptions::open) that runs on the
//! blocking pool.

use std::io;
use std::path::Path;

use super::blocking::run_blocking;
use super::File;

/// Options for opening a [`File`]: read, write, append, truncate, create,
/// create-new and (on Unix) the permission bits of a new file.
///
/// # Examples
///
/// ```
/// # deli::run(async {
/// let path = std::env::temp_dir().join(format!("deli-doc-OpenOptions-{}", std::process::id()));
/// let mut file = deli::fs::OpenOptions::new()
///     .write(true)
///     .create(true)
///     .truncate(true)
///     .open(&path)
///     .await?;
/// file.write_all(b"log line\n").await?;
/// file.flush().await?;
/// assert_eq!(std::fs::read(&path)?, b"log line\n");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    std: std::fs::OpenOptions,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

/// The flags that only forward to `std`'s `OpenOptions`, each with its
/// doc and an example setting it.
macro_rules! std_flags {
    ($($(#[doc = $doc:literal])* $flag:ident;)+) => {
        $(
            $(#[doc = $doc])*
            ///
            /// # Examples
            ///
            /// ```
            /// let mut options = deli::fs::OpenOptions::new();
            #[doc = concat!("options.", stringify!($flag), "(true);")]
            /// ```
            pub fn $flag(&mut self, $flag: bool) -> &mut Self {
                self.std.$flag($flag);
                self
            }
        )+
    };
}

impl OpenOptions {
    /// Options with everything off: set at least one of read, write or
    /// append before opening.
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let none = deli::fs::OpenOptions::new().open("Cargo.toml").await.unwrap_err();
    /// assert_eq!(none.kind(), std::io::ErrorKind::InvalidInput);
    /// # });
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions {
            std: std::fs::OpenOptions::new(),
        }
    }

    std_flags! {
        /// Opens for reading.
        read;

        /// Opens for writing (from the start unless `append`).
        write;

        /// Every write goes to the end of the file, whatever the position
        /// (implies `write`).
        append;

        /// Cuts an existing file to length 0 on open (needs `write`).
        truncate;

        /// Creates the file if it does not exist (needs `write` or `append`).
        create;

        /// Creates the file, failing with [`AlreadyExists`](std::io::ErrorKind::AlreadyExists)
        /// if it exists (atomically: no other process can create it in between).
        create_new;
    }

    /// The permission bits a newly created file gets (before the umask);
    /// `0o666` unless set.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut options = deli::fs::OpenOptions::new();
    /// options.write(true).create(true).mode(0o600);
    /// ```
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.std, mode);
        self
    }

    /// Opens `path` with these options.
    ///
    /// Errors are the operating system's: a missing file without `create`
    /// is [`NotFound`](io::ErrorKind::NotFound), an existing one with
    /// `create_new` [`AlreadyExists`](io::ErrorKind::AlreadyExists).
    ///
    /// # Examples
    ///
    /// ```
    /// # deli::run(async {
    /// let missing = deli::fs::OpenOptions::new().read(true).open("no/such/file").await;
    /// assert_eq!(missing.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.std.clone();
        let std = run_blocking(move || options.open(path)).await?;
        Ok(File::from_std(std))
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    /// Uses options built with `std` (and its platform extensions).
    fn from(std: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions { std }
    }
}
