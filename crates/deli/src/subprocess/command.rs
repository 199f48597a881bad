//! [`Command`]: what to run and how, and starting it.

use std::ffi::OsStr;
use std::io;
use std::path::Path;
use std::process::{self, ExitStatus, Output, Stdio};

use super::child::Child;
use super::reap;
use crate::runtime::Handle;

/// A builder for a child process, as [`std::process::Command`] with async
/// waiting and pipes on deli's reactor.
///
/// Spawning goes through `std::process::Command` (posix_spawn, or fork and
/// exec, done safely in a multi-threaded parent). A program that cannot be
/// found is an error of kind [`NotFound`](io::ErrorKind::NotFound).
///
/// # Examples
///
/// ```
/// use deli::subprocess::{Command, Stdio};
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let output = Command::new("sh")
///         .args(["-c", "echo \"$GREETING from $(pwd)\""])
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .stdout(Stdio::piped())
///         .output()
///         .await?;
///     assert_eq!(output.stdout, b"hello from /\n");
///
///     let missing = Command::new("/no/such/program").spawn().unwrap_err();
///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct Command {
    std: process::Command,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
    kill_on_drop: bool,
    use_pidfd: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` unless it is a
    /// path), with no arguments, this process's environment and working
    /// directory, and stdio inherited (for [`spawn`](Self::spawn) and
    /// [`status`](Self::status)).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let status = deli::subprocess::Command::new("true").status().await?;
    ///     assert!(status.success());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: process::Command::new(program),
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
            kill_on_drop: false,
            use_pidfd: true,
        }
    }

    /// Adds one argument.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("echo").arg("a b").output().await?;
    ///     assert_eq!(out.stdout, b"a b\n");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("echo").args(["a", "b"]).output().await?;
    ///     assert_eq!(out.stdout, b"a b\n");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets one environment variable for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("sh")
    ///         .args(["-c", "printf %s \"$COLOUR\""])
    ///         .env("COLOUR", "blue")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"blue");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("sh")
    ///         .args(["-c", "printf %s%s \"$A\" \"$B\""])
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"12");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("sh")
    ///         .args(["-c", "printf %s \"${HOME-unset}\""])
    ///         .env_remove("HOME")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"unset");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what
    /// [`env`](Self::env) adds after this call).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("/usr/bin/env")
    ///         .env_clear()
    ///         .env("ONLY", "me")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(out.stdout, b"ONLY=me\n");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = deli::subprocess::Command::new("pwd").current_dir("/").output().await?;
    ///     assert_eq!(out.stdout, b"/\n");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin: [`Stdio::piped()`] (then write through
    /// [`Child::stdin`](Child::stdin)), [`Stdio::inherit()`] or
    /// [`Stdio::null()`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     // `cat` with a null stdin reads end-of-file at once.
    ///     let out = Command::new("cat").stdin(Stdio::null()).output().await?;
    ///     assert!(out.stdout.is_empty());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// Sets the child's stdout: [`Stdio::piped()`] (then read through
    /// [`Child::stdout`](Child::stdout)), [`Stdio::inherit()`] or
    /// [`Stdio::null()`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = Command::new("echo").arg("gone").stdout(Stdio::null()).output().await?;
    ///     assert!(out.stdout.is_empty());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// Sets the child's stderr: [`Stdio::piped()`] (then read through
    /// [`Child::stderr`](Child::stderr)), [`Stdio::inherit()`] or
    /// [`Stdio::null()`].
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let out = Command::new("sh").args(["-c", "echo e >&2"]).stderr(Stdio::null()).output().await?;
    ///     assert!(out.stderr.is_empty());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Whether dropping the [`Child`] before it was reaped kills it
    /// (SIGKILL; it is then reaped). Off by default: a dropped child runs
    /// on and is reaped when it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn()?;
    ///     drop(child); // the sleep is killed here, and reaped soon after
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether to watch the child's end through a pidfd where the kernel
    /// offers one (the default, `true`), or always through SIGCHLD
    /// (`false`) — for sandboxes that forbid `pidfd_open`, and to test the
    /// SIGCHLD path on kernels that have pidfds. Either way no thread is
    /// spent per child.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let status = deli::subprocess::Command::new("true").use_pidfd(false).status().await?;
    ///     assert!(status.success());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn use_pidfd(&mut self, use_pidfd: bool) -> &mut Command {
        self.use_pidfd = use_pidfd;
        self
    }

    /// The `std` command inside, for settings this type does not repeat
    /// (`uid`, `process_group`, `pre_exec`, ...). Set stdio here only
    /// through [`stdin`](Self::stdin) and friends, which
    /// [`output`](Self::output) needs to know about.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::CommandExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut command = deli::subprocess::Command::new("true");
    ///     command.as_std_mut().process_group(0);
    ///     assert!(command.status().await?.success());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn as_std_mut(&mut self) -> &mut process::Command {
        &mut self.std
    }

    /// Starts the child. Must run inside a deli runtime (its pipes and its
    /// exit watch live on the reactor): outside one, an error of kind
    /// [`Other`](io::ErrorKind::Other) and nothing is started.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let child = Command::new("printf").arg("hi").stdout(Stdio::piped()).spawn()?;
    ///     let output = child.wait_with_output().await?;
    ///     assert_eq!(output.stdout, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    ///
    /// assert!(Command::new("true").spawn().is_err()); // no runtime here
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        let handle = Handle::try_current().ok_or_else(|| {
            io::Error::other("deli::subprocess::Command::spawn needs a deli runtime")
        })?;
        reap::sweep_orphans();
        let process = self.std.spawn()?;
        Child::new(process, self.use_pidfd, self.kill_on_drop, handle)
    }

    /// Runs the child to its end and collects its output. Unless set
    /// otherwise, stdout and stderr are piped and captured, and stdin is
    /// null; those defaults stay set on this command.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let output = deli::subprocess::Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2"])
    ///         .output()
    ///         .await?;
    ///     assert!(output.status.success());
    ///     assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        if !self.stdin_set {
            self.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.stderr(Stdio::piped());
        }
        self.spawn()?.wait_with_output().await
    }

    /// Runs the child to its end and returns its exit status; stdio is
    /// inherited unless set otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let status = deli::subprocess::Command::new("sh").args(["-c", "exit 7"]).status().await?;
    ///     assert_eq!(status.code(), Some(7));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }
}

impl From<process::Command> for Command {
    fn from(std: process::Command) -> Command {
        Command {
            std,
            // Unknown: `std` keeps them private. Treated as not set, so
            // `output` pipes stdout and stderr as it does for a new command.
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
            kill_on_drop: false,
            use_pidfd: true,
        }
    }
}
