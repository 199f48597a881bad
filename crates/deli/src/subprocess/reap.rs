//! Learning that a child ended, and reaping it: a pidfd on the reactor
//! where the kernel has `pidfd_open` (Linux 5.3), SIGCHLD through
//! [`crate::signal`] otherwise. Either way the status is collected with
//! `waitpid(pid, WNOHANG)` on the one child (through `std`'s
//! `Child::try_wait`), never `waitpid(-1)`, which would steal the children
//! of other code such as deli's process pool.
//!
//! A child whose [`Child`](super::Child) was dropped before it was waited
//! for is adopted: a task on the runtime waits for its end and reaps it.
//! If that runtime is gone, or shuts down first, the child joins a
//! process-wide orphan list that every later spawn and every reaped child
//! sweeps.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{self, ExitStatus};
use std::sync::Mutex;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::io::Async;
use crate::poison::IgnorePoison;
use crate::runtime::Handle;
use crate::signal::{Signal, SignalKind};

/// Children dropped unreaped whose adopting task could not run.
static ORPHANS: Mutex<Vec<process::Child>> = Mutex::new(Vec::new());

/// How one child's end is noticed.
#[derive(Debug)]
pub(super) enum ExitWatch {
    /// Readable once the child has ended.
    PidFd(Async<PidFd>),
    /// Woken by every SIGCHLD after it was made.
    Sigchld(Signal),
}

impl ExitWatch {
    /// A watch for the child `pid`: a pidfd if `use_pidfd` and the kernel
    /// allows it, SIGCHLD otherwise.
    pub(super) fn new(pid: u32, use_pidfd: bool) -> io::Result<ExitWatch> {
        if use_pidfd {
            // Any failure (no such system call, a seccomp filter) falls back
            // to SIGCHLD, which works everywhere.
            if let Ok(pidfd) = pidfd_open(pid) {
                return Ok(ExitWatch::PidFd(Async::new(pidfd)?));
            }
        }
        Ok(ExitWatch::Sigchld(crate::signal::signal(
            SignalKind::child(),
        )?))
    }

    /// Whether this watch is a pidfd (for tests of both paths).
    pub(super) fn is_pidfd(&self) -> bool {
        matches!(self, ExitWatch::PidFd(_))
    }

    /// Waits until `child` has ended and reaps it.
    pub(super) async fn wait(&mut self, child: &mut process::Child) -> io::Result<ExitStatus> {
        let status = match self {
            ExitWatch::PidFd(pidfd) => {
                // Readable means ended; `WouldBlock` sends us back to wait
                // for the event should the status not be there yet.
                pidfd
                    .read_with(|_| match child.try_wait() {
                        Ok(Some(status)) => Ok(status),
                        Ok(None) => Err(io::ErrorKind::WouldBlock.into()),
                        Err(error) => Err(error),
                    })
                    .await?
            }
            ExitWatch::Sigchld(sigchld) => loop {
                // The listener predates this check, so an exit after it
                // raises a SIGCHLD that wakes the `recv` below.
                if let Some(status) = child.try_wait()? {
                    break status;
                }
                if sigchld.recv().await.is_none() {
                    return Err(io::Error::other("deli runtime has shut down"));
                }
            },
        };
        sweep_orphans();
        Ok(status)
    }
}

/// A pidfd: a file descriptor that refers to one process and turns
/// readable when it ends.
#[derive(Debug)]
pub(super) struct PidFd(OwnedFd);

fn pidfd_open(pid: u32) -> io::Result<PidFd> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    // SAFETY: `pidfd_open(pid, flags)` takes two integers and touches no
    // memory of ours; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = i32::try_from(fd).map_err(io::Error::other)?;
    // SAFETY: `fd` was just returned by the kernel and nothing else owns
    // it; pidfds are opened close-on-exec.
    Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd) }))
}

impl Source for PidFd {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

/// Takes over a child whose handle is dropped unreaped: a task on
/// `handle`'s runtime reaps it when it ends.
pub(super) fn adopt(child: process::Child, watch: Option<ExitWatch>, handle: &Handle) {
    let Some(mut watch) = watch else {
        orphan(child);
        return;
    };
    let mut guard = Orphan(Some(child));
    // If the runtime has shut down, or does before the child ends, the
    // future is dropped and the guard hands the child on.
    handle
        .spawn(async move {
            if let Some(child) = guard.0.as_mut() {
                if watch.wait(child).await.is_ok() {
                    // Reaped: nothing left for the guard to hand on.
                    drop(guard.0.take());
                }
            }
        })
        .detach();
}

/// Hands its child to the orphan list if dropped before it was reaped.
struct Orphan(Option<process::Child>);

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            orphan(child);
        }
    }
}

/// Puts `child` on the orphan list, unless it can be reaped right now.
pub(super) fn orphan(mut child: process::Child) {
    if let Ok(None) = child.try_wait() {
        lock_orphans().push(child);
    }
}

/// Reaps every orphan that has ended; drops those that can no longer be
/// waited for (reaped by someone else).
pub(super) fn sweep_orphans() {
    let mut orphans = lock_orphans();
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

fn lock_orphans() -> std::sync::MutexGuard<'static, Vec<process::Child>> {
    // A panic elsewhere while holding the lock leaves a valid list.
    ORPHANS.lock().ignore_poison()
}
