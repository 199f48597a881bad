//! [`Child`]: a running child process, its pipes, and waiting for its end.

use std::future::poll_fn;
use std::io;
use std::process::{self, ExitStatus, Output};
use std::task::Poll;

use super::pipes::{poll_read_pipe_to_end, ChildStderr, ChildStdin, ChildStdout};
use super::reap::{self, ExitWatch};
use crate::runtime::Handle;

/// A child process started by [`Command::spawn`](super::Command::spawn).
///
/// Its piped streams are the public `stdin`, `stdout` and `stderr` fields
/// (`None` unless piped; take them to use them in other tasks).
/// [`wait`](Self::wait) waits without a thread: on a pidfd, or on SIGCHLD
/// where the kernel has no pidfds.
///
/// Dropping a `Child` does not stop the process (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set) but it is still
/// reaped when it ends, by a task on the runtime: no zombie is left.
///
/// # Examples
///
/// ```
/// use deli::subprocess::Command;
///
/// # fn main() -> std::io::Result<()> {
/// deli::run(async {
///     let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn()?;
///     let status = child.wait().await?;
///     assert_eq!(status.code(), Some(3));
///     Ok(())
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct Child {
    /// The writing end of the child's stdin, if it was piped.
    pub stdin: Option<ChildStdin>,
    /// The reading end of the child's stdout, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The reading end of the child's stderr, if it was piped.
    pub stderr: Option<ChildStderr>,
    /// `Some` until `drop` hands it over.
    process: Option<process::Child>,
    /// `None` once the child is reaped.
    watch: Option<ExitWatch>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// Where an unreaped child is adopted when this handle is dropped.
    handle: Handle,
}

impl Child {
    pub(super) fn new(
        mut process: process::Child,
        use_pidfd: bool,
        kill_on_drop: bool,
        handle: Handle,
    ) -> io::Result<Child> {
        let parts = (|| {
            let stdin = process.stdin.take().map(ChildStdin::new).transpose()?;
            let stdout = process.stdout.take().map(ChildStdout::new).transpose()?;
            let stderr = process.stderr.take().map(ChildStderr::new).transpose()?;
            let watch = ExitWatch::new(process.id(), use_pidfd)?;
            Ok::<_, io::Error>((stdin, stdout, stderr, watch))
        })();
        match parts {
            Ok((stdin, stdout, stderr, watch)) => Ok(Child {
                stdin,
                stdout,
                stderr,
                process: Some(process),
                watch: Some(watch),
                status: None,
                kill_on_drop,
                handle,
            }),
            Err(error) => {
                // Half set up: nobody could talk to or wait for it.
                let _ = process.kill();
                reap::orphan(process);
                Err(error)
            }
        }
    }

    /// The child's process id, or `None` once it has been reaped (the
    /// number may then belong to another process).
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     assert!(child.id().is_some());
    ///     child.wait().await?;
    ///     assert_eq!(child.id(), None);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn id(&self) -> Option<u32> {
        match (&self.process, self.status) {
            (Some(process), None) => Some(process.id()),
            _ => None,
        }
    }

    /// Waits for the child to end, reaps it and returns its exit status
    /// (`code()`, or `signal()` from `std::os::unix::process::ExitStatusExt`
    /// if a signal ended it). Closes the child's stdin first, so a child
    /// that reads to end-of-file is not left waiting for more.
    ///
    /// Cancel-safe: dropping the future loses nothing; call again.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let status = Command::new("false").spawn()?.wait().await?;
    ///     assert_eq!(status.code(), Some(1));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.status {
            return Ok(status);
        }
        let (Some(process), Some(watch)) = (self.process.as_mut(), self.watch.as_mut()) else {
            return Err(io::Error::other("the child has no exit watch"));
        };
        let status = watch.wait(process).await?;
        self.reaped(status);
        Ok(status)
    }

    /// The exit status if the child has ended (and reaps it then), `None`
    /// if it still runs. Does not wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").kill_on_drop(true).spawn()?;
    ///     assert_eq!(child.try_wait()?, None);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let Some(process) = self.process.as_mut() else {
            return Ok(None);
        };
        let status = process.try_wait()?;
        if let Some(status) = status {
            self.reaped(status);
        }
        Ok(status)
    }

    fn reaped(&mut self, status: ExitStatus) {
        self.status = Some(status);
        // The pidfd or the SIGCHLD listener is not needed any more.
        self.watch = None;
    }

    /// Sends SIGKILL to the child, without waiting for it to end. Does
    /// nothing if the child has already been reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     child.start_kill()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        match (&mut self.process, self.status) {
            // Not reaped yet, so the pid is still this child's.
            (Some(process), None) => process.kill(),
            _ => Ok(()),
        }
    }

    /// Sends SIGKILL to the child and waits for it to end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("sleep").arg("1000").spawn()?;
    ///     child.kill().await?;
    ///     assert_eq!(child.try_wait()?.and_then(|s| s.signal()), Some(libc::SIGKILL));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(|_| ())
    }

    /// Closes stdin, reads stdout and stderr to their end (those that are
    /// piped) at the same time, waits for the child, and returns all three.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::{Command, Stdio};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let output = Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2; exit 2"])
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?
    ///         .wait_with_output()
    ///         .await?;
    ///     assert_eq!(output.stdout, b"out\n");
    ///     assert_eq!(output.stderr, b"err\n");
    ///     assert_eq!(output.status.code(), Some(2));
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let stdout_pipe = self.stdout.take();
        let stderr_pipe = self.stderr.take();
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let (mut stdout_done, mut stderr_done) = (stdout_pipe.is_none(), stderr_pipe.is_none());
        // Both at once: a child that fills one pipe while we wait on the
        // other would otherwise never finish.
        poll_fn(|cx| {
            if let (Some(pipe), false) = (&stdout_pipe, stdout_done) {
                if let Poll::Ready(read) = poll_read_pipe_to_end(pipe.pipe(), cx, &mut stdout) {
                    read?;
                    stdout_done = true;
                }
            }
            if let (Some(pipe), false) = (&stderr_pipe, stderr_done) {
                if let Poll::Ready(read) = poll_read_pipe_to_end(pipe.pipe(), cx, &mut stderr) {
                    read?;
                    stderr_done = true;
                }
            }
            if stdout_done && stderr_done {
                Poll::Ready(Ok::<(), io::Error>(()))
            } else {
                Poll::Pending
            }
        })
        .await?;
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    /// Whether this child's end is watched through a pidfd (`false`: through
    /// SIGCHLD). `false` too once the child is reaped.
    ///
    /// # Examples
    ///
    /// ```
    /// use deli::subprocess::Command;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// deli::run(async {
    ///     let mut child = Command::new("true").use_pidfd(false).spawn()?;
    ///     assert!(!child.uses_pidfd());
    ///     child.wait().await?;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn uses_pidfd(&self) -> bool {
        self.watch.as_ref().is_some_and(ExitWatch::is_pidfd)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            // An error means it has ended already; it is reaped below.
            let _ = process.kill();
        }
        // `Some`: reaped just now; `Err`: not ours to reap any more.
        if let Ok(None) = process.try_wait() {
            reap::adopt(process, self.watch.take(), &self.handle);
        }
    }
}
