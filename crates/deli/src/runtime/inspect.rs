//! The inspect socket a program opts into with
//! [`Builder::inspect`](super::Builder::inspect): a Unix socket on which
//! the runtime answers each request line with a [`Snapshot`] of itself,
//! one JSON object per line — what `deli top` reads.
//!
//! One small thread (`deli-inspect`) accepts clients; each client is
//! served on a short-lived thread of its own (at most [`MAX_CLIENTS`] at
//! once; more are closed at once), with read and write timeouts, and every
//! error on a client's connection only ends that connection. The program
//! never waits for a client: snapshots are taken on the client's thread,
//! and writes go out with `MSG_NOSIGNAL`, so a client that hangs up is an
//! error here, never a `SIGPIPE`. The socket file is removed when the
//! runtime shuts down.
//!
//! Uses `handle` (to take snapshots) and `metrics`.

use std::io::{self, BufRead, BufReader};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::handle::Handle;

/// Clients served at once; more are turned away.
const MAX_CLIENTS: usize = 8;
/// How often the accept loop and the client threads look at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);
/// A client that sends nothing for this long is dropped.
const IDLE_CLIENT: Duration = Duration::from_secs(60);
/// A client that does not read its answer within this is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest request line a client may send.
const MAX_REQUEST: usize = 256;

/// A running inspect socket; stopped (and its file removed) on drop.
#[derive(Debug)]
pub(crate) struct InspectServer {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl InspectServer {
    /// Binds `path` and starts serving snapshots of `handle`'s runtime.
    /// A stale socket file at `path` (nobody answers on it) is replaced;
    /// a live one, or any other kind of file, is an error.
    pub(crate) fn start(path: &Path, handle: Handle) -> io::Result<InspectServer> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("another program serves {}", path.display()),
                ));
            }
            std::fs::remove_file(path)?;
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("deli-inspect".to_owned())
            .spawn(move || accept_loop(&listener, &handle, &thread_stop));
        let thread = match thread {
            Ok(thread) => thread,
            Err(error) => {
                let _ = std::fs::remove_file(path);
                return Err(error);
            }
        };
        Ok(InspectServer {
            path: path.to_owned(),
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for InspectServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            // The loop only waits in `poll` for at most STOP_CHECK.
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn accept_loop(listener: &UnixListener, handle: &Handle, stop: &Arc<AtomicBool>) {
    let clients = Arc::new(AtomicUsize::new(0));
    while !stop.load(Ordering::Acquire) {
        if !wait_readable(listener.as_raw_fd(), STOP_CHECK) {
            continue;
        }
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            // WouldBlock (another wake), ECONNABORTED, EMFILE…: none of
            // them is the program's problem; look again after a pause so
            // a persistent error does not spin.
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            Err(_) => {
                std::thread::sleep(STOP_CHECK);
                continue;
            }
        };
        if clients.fetch_add(1, Ordering::AcqRel) >= MAX_CLIENTS {
            clients.fetch_sub(1, Ordering::AcqRel);
            drop(stream);
            continue;
        }
        let handle = handle.clone();
        let stop = stop.clone();
        let count = clients.clone();
        let started = std::thread::Builder::new()
            .name("deli-inspect-client".to_owned())
            .spawn(move || {
                serve_client(stream, &handle, &stop);
                count.fetch_sub(1, Ordering::AcqRel);
            });
        if started.is_err() {
            clients.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Whether `fd` became readable within `timeout`.
fn wait_readable(fd: i32, timeout: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one valid `pollfd` for the duration of the call.
    let ready = unsafe { libc::poll(&mut poll, 1, millis) };
    ready > 0
}

/// Answers each request line with one snapshot line until the client
/// hangs up, misbehaves, idles too long or the runtime shuts down.
fn serve_client(stream: UnixStream, handle: &Handle, stop: &AtomicBool) {
    if stream.set_nonblocking(false).is_err()
        || stream.set_read_timeout(Some(STOP_CHECK)).is_err()
        || stream.set_write_timeout(Some(WRITE_TIMEOUT)).is_err()
    {
        return;
    }
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::with_capacity(MAX_REQUEST, reader);
    let mut line = Vec::new();
    let mut idle = Duration::ZERO;
    while !stop.load(Ordering::Acquire) && idle < IDLE_CLIENT {
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return,
            Ok(_) if line.ends_with(b"\n") => {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                idle = Duration::ZERO;
                let answer = answer(&line, handle);
                line.clear();
                if send_all(&stream, answer.as_bytes()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                idle += STOP_CHECK;
            }
            Err(_) => return,
        }
        if line.len() > MAX_REQUEST {
            return;
        }
    }
}

/// The answer line to one request line.
fn answer(request: &[u8], handle: &Handle) -> String {
    let request = String::from_utf8_lossy(request);
    let mut answer = match request.trim() {
        "" | "snapshot" => serde_json::to_string(&handle.snapshot())
            .unwrap_or_else(|error| error_line(&format!("cannot encode the snapshot: {error}"))),
        other => error_line(&format!("unknown request {other:?} (send `snapshot`)")),
    };
    answer.push('\n');
    answer
}

fn error_line(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

/// Writes all of `bytes`, without `SIGPIPE` if the client has gone.
fn send_all(stream: &UnixStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length; the fd is the
        // stream's, open for the call.
        let sent = unsafe {
            libc::send(
                stream.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if sent < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        bytes = &bytes[sent as usize..];
    }
    Ok(())
}
