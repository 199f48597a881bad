//! Starting a worker child — the same executable, re-executed with a
//! marker in its environment, or a given program (say a Python interpreter
//! running `deli._worker`) — with two pipes on fds 3 and 4; and describing
//! how a child ended.
//!
//! Linux specifics live here: the child asks for SIGKILL when its parent
//! dies (`PR_SET_PDEATHSIG`) and gets its memory limit (`RLIMIT_AS`)
//! before exec. Calls `libc` and std only.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

use super::child::{REPLY_FD, REQUEST_FD};

/// The environment variable that makes a re-executed binary a worker.
pub(crate) const WORKER_MARKER: &str = "DELI_PROCESS_WORKER";
/// Carries the frame size limit to the child.
pub(crate) const FRAME_LIMIT_VAR: &str = "DELI_PROCESS_FRAME_LIMIT";

/// What a child is started with.
#[derive(Debug, Clone)]
pub(crate) struct ChildSpec {
    /// The program to run: this executable, or one the pool was given.
    pub(crate) executable: std::path::PathBuf,
    /// Its arguments (none when re-executing this binary).
    pub(crate) args: Vec<OsString>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) memory_limit: Option<u64>,
    pub(crate) frame_limit: usize,
}

/// A running child and the parent's ends of its pipes.
#[derive(Debug)]
pub(crate) struct Spawned {
    pub(crate) child: Child,
    pub(crate) requests: std::fs::File,
    pub(crate) replies: OwnedFd,
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and nothing else owns them.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// A close-on-exec copy of `fd` numbered 10 or above, so that moving it to
/// fd 3 or 4 in the child can never overwrite the other one.
fn above_ten(fd: OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: `fd` is open; F_DUPFD_CLOEXEC makes a new descriptor we own.
    let copy = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `copy` was just created and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// Starts one worker child.
pub(crate) fn spawn_child(spec: &ChildSpec) -> io::Result<Spawned> {
    let (child_reads, parent_writes) = pipe()?;
    let (parent_reads, child_writes) = pipe()?;
    let child_reads = above_ten(child_reads)?;
    let child_writes = above_ten(child_writes)?;
    let (read_fd, write_fd) = (child_reads.as_raw_fd(), child_writes.as_raw_fd());
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    let memory_limit = spec.memory_limit;

    let mut command = Command::new(&spec.executable);
    command
        .args(&spec.args)
        .env(WORKER_MARKER, "1")
        .env(FRAME_LIMIT_VAR, spec.frame_limit.to_string())
        .envs(spec.env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null());
    let prepare = move || -> io::Result<()> {
        // Only async-signal-safe calls here: this runs between fork and exec.
        // SAFETY: dup2, prctl, getppid and setrlimit are async-signal-safe
        // and get valid arguments; `read_fd`/`write_fd` are open in the child
        // (inherited; close-on-exec only closes them at exec, after dup2
        // made the non-close-on-exec copies on 3 and 4).
        unsafe {
            if libc::dup2(read_fd, REQUEST_FD) < 0 || libc::dup2(write_fd, REPLY_FD) < 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the death signal was armed.
            if libc::getppid() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            if let Some(bytes) = memory_limit {
                let limit = libc::rlimit {
                    rlim_cur: bytes as libc::rlim_t,
                    rlim_max: bytes as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(())
    };
    // SAFETY: `prepare` makes only async-signal-safe calls and touches no
    // locks or allocations (it captures plain integers).
    unsafe { command.pre_exec(prepare) };
    let child = command.spawn()?;
    // The child has its copies; the parent keeps only its own ends.
    drop(child_reads);
    drop(child_writes);
    Ok(Spawned {
        child,
        requests: std::fs::File::from(parent_writes),
        replies: parent_reads,
    })
}

/// The executable children re-run.
pub(crate) fn current_executable() -> io::Result<std::path::PathBuf> {
    let path = std::env::current_exe()?;
    if Path::new(&path).exists() {
        Ok(path)
    } else {
        Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("the executable {} is gone", path.display()),
        ))
    }
}

/// "the worker exited with status 3", "the worker was killed by signal 9
/// (SIGKILL)": the text of [`JobError::WorkerDied`](crate::JobError). These
/// two shapes are stable: bindings (deli-py) read the number back out.
pub(crate) fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("the worker exited with status {code}");
    }
    match status.signal() {
        Some(signal) => format!(
            "the worker was killed by signal {signal} ({})",
            signal_name(signal)
        ),
        None => format!("the worker ended: {status}"),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGKILL => "SIGKILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGINT => "SIGINT",
        _ => "another signal",
    }
}

/// Sends SIGKILL to `pid`. The caller guarantees the pid is a child not
/// yet reaped (so it cannot have been reused).
pub(crate) fn kill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}
