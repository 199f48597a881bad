//! `deli::subprocess` with real programs: 200 concurrent children with
//! every output and status checked, 64 MiB through `cat` both ways at once,
//! kill, dropped and kill-on-drop children reaped, a missing program,
//! environment, working directory and null stdio. The tests that reap run
//! on both paths, pidfd and SIGCHLD (`Command::use_pidfd(false)`).
//!
//! The tests take turns (one lock) so that each can end by scanning
//! `/proc` for zombie children of this process: none may be left.

mod common;

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{within, BOUND};
use deli::subprocess::{Command, Stdio};
use futures_util::{AsyncReadExt, AsyncWriteExt};

static TURN: Mutex<()> = Mutex::new(());

/// One test at a time, so that the zombie scan sees only its own children.
fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn runtime() -> deli::Runtime {
    deli::Runtime::builder().workers(2).build().unwrap()
}

/// `(pid, state, ppid)` of every process in `/proc`.
fn processes() -> Vec<(u32, char, u32)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // Gone between the listing and the read: not a zombie of ours.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces and parens.
        let Some(after_comm) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
            continue;
        };
        let mut fields = after_comm.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        found.push((pid, state, ppid));
    }
    found
}

fn zombie_children() -> Vec<u32> {
    let me = std::process::id();
    processes()
        .into_iter()
        .filter(|&(_, state, ppid)| state == 'Z' && ppid == me)
        .map(|(pid, _, _)| pid)
        .collect()
}

fn assert_no_zombies() {
    assert_eq!(zombie_children(), Vec::<u32>::new(), "zombie children left");
}

/// Whether `pid` is still a child of ours (running or a zombie).
fn is_our_child(pid: u32) -> bool {
    let me = std::process::id();
    processes()
        .into_iter()
        .any(|(p, _, ppid)| p == pid && ppid == me)
}

/// Waits, on deli's clock and within a generous bound, until `pid` is no
/// longer a child of ours: it ended and was reaped.
async fn until_reaped(pid: u32) {
    let start = Instant::now();
    while is_our_child(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "child {pid} still there (running or a zombie) after 30 s"
        );
        deli::sleep(Duration::from_millis(10)).await;
    }
}

const PATHS: [(&str, bool); 2] = [("pidfd", true), ("sigchld", false)];

async fn two_hundred_children(use_pidfd: bool) {
    let tickets: Vec<_> = (0..200u32)
        .map(|i| {
            deli::spawn(async move {
                let output = Command::new("sh")
                    .args(["-c", "echo $1; exit $2", "sh"])
                    .arg(i.to_string())
                    .arg((i % 256).to_string())
                    .use_pidfd(use_pidfd)
                    .output()
                    .await?;
                Ok::<_, io::Error>((i, output))
            })
        })
        .collect();
    for ticket in tickets {
        let (i, output) = ticket.await.unwrap().unwrap();
        assert_eq!(output.stdout, format!("{i}\n").into_bytes(), "child {i}");
        assert_eq!(output.status.code(), Some((i % 256) as i32), "child {i}");
        assert!(output.stderr.is_empty(), "child {i}");
    }
}

#[test]
fn two_hundred_concurrent_children_every_output_and_status_right() {
    let _turn = turn();
    for (path, use_pidfd) in PATHS {
        within(BOUND, move || {
            runtime().block_on(two_hundred_children(use_pidfd))
        });
        assert_no_zombies();
        eprintln!("{path}: 200 children ok");
    }
}

#[test]
fn the_chosen_reaping_path_is_used() {
    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            let mut forced = Command::new("true").use_pidfd(false).spawn().unwrap();
            assert!(!forced.uses_pidfd());
            forced.wait().await.unwrap();
            let mut default = Command::new("true").spawn().unwrap();
            // The default is a pidfd wherever the kernel (5.3+) and any
            // seccomp filter allow one; elsewhere, SIGCHLD.
            assert_eq!(default.uses_pidfd(), kernel_has_pidfds());
            default.wait().await.unwrap();
        })
    });
    assert_no_zombies();
}

/// Whether `pidfd_open` works here (tried on this process itself).
fn kernel_has_pidfds() -> bool {
    // SAFETY: `pidfd_open(pid, 0)` takes two integers and touches no memory
    // of ours; a descriptor it returns is closed right away.
    unsafe {
        let fd = libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0);
        if fd < 0 {
            return false;
        }
        libc::close(fd as i32);
        true
    }
}

/// A pseudo-random block, so that a lost, doubled or reordered chunk shows.
fn block(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn cat_fed_64_mib_while_reading_it_back_does_not_deadlock() {
    const BLOCK: usize = 1 << 20;
    const TOTAL: usize = 64 << 20;
    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            let pattern = block(BLOCK);
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let to_write = pattern.clone();
            // The writer runs as its own task: 64 MiB cannot sit in the
            // pipes, so it only finishes if the reader drains at the same
            // time.
            let writer = deli::spawn(async move {
                for _ in 0..TOTAL / BLOCK {
                    stdin.write_all(&to_write).await?;
                }
                AsyncWriteExt::close(&mut stdin).await?; // `cat` sees EOF
                Ok::<(), io::Error>(())
            });

            let mut stdout = child.stdout.take().unwrap();
            let mut buf = vec![0; 256 * 1024];
            let mut received = 0usize;
            loop {
                let n = stdout.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                // Compare with the pattern at this offset, across the seam.
                let mut checked = 0;
                while checked < n {
                    let at = (received + checked) % BLOCK;
                    let len = (n - checked).min(BLOCK - at);
                    assert!(
                        buf[checked..checked + len] == pattern[at..at + len],
                        "bytes differ near offset {}",
                        received + checked
                    );
                    checked += len;
                }
                received += n;
            }
            writer.await.unwrap().unwrap();
            assert_eq!(received, TOTAL);
            assert!(child.wait().await.unwrap().success());
        })
    });
    assert_no_zombies();
}

#[test]
fn killing_a_sleeping_child_reports_the_signal() {
    let _turn = turn();
    for (path, use_pidfd) in PATHS {
        within(BOUND, move || {
            runtime().block_on(async move {
                let mut child = Command::new("sleep")
                    .arg("1000")
                    .use_pidfd(use_pidfd)
                    .spawn()
                    .unwrap();
                assert_eq!(child.try_wait().unwrap(), None, "{path}");
                child.kill().await.unwrap();
                let status = child.wait().await.unwrap();
                assert_eq!(status.signal(), Some(libc::SIGKILL), "{path}");
                assert_eq!(status.code(), None, "{path}");
                assert_eq!(child.id(), None, "{path}: reaped");

                // start_kill, then wait on another task's terms.
                let mut child = Command::new("sleep")
                    .arg("1000")
                    .use_pidfd(use_pidfd)
                    .spawn()
                    .unwrap();
                child.start_kill().unwrap();
                let status = deli::spawn(async move { child.wait().await })
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(status.signal(), Some(libc::SIGKILL), "{path}");
            })
        });
        assert_no_zombies();
    }
}

#[test]
fn a_dropped_child_is_reaped_when_it_ends() {
    let _turn = turn();
    for (path, use_pidfd) in PATHS {
        within(BOUND, move || {
            runtime().block_on(async move {
                let child = Command::new("sleep")
                    .arg("0.2")
                    .use_pidfd(use_pidfd)
                    .spawn()
                    .unwrap();
                let pid = child.id().unwrap();
                drop(child);
                assert!(is_our_child(pid), "{path}: runs on after the drop");
                until_reaped(pid).await;
            })
        });
        assert_no_zombies();
    }
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    let _turn = turn();
    for (path, use_pidfd) in PATHS {
        within(BOUND, move || {
            runtime().block_on(async move {
                let child = Command::new("sleep")
                    .arg("1000")
                    .kill_on_drop(true)
                    .use_pidfd(use_pidfd)
                    .spawn()
                    .unwrap();
                let pid = child.id().unwrap();
                drop(child);
                // `sleep 1000` would outlive the 30 s bound unless killed.
                until_reaped(pid).await;
                eprintln!("{path}: killed and reaped");
            })
        });
        assert_no_zombies();
    }
}

#[test]
fn a_child_dropped_as_its_runtime_ends_is_reaped_by_a_later_spawn() {
    let _turn = turn();
    let pid = within(BOUND, || {
        runtime().block_on(async {
            let child = Command::new("sleep").arg("0.1").spawn().unwrap();
            let pid = child.id().unwrap();
            drop(child); // adopted by a task that the shutdown drops
            pid
        })
    });
    within(BOUND, move || {
        runtime().block_on(async move {
            let start = Instant::now();
            while is_our_child(pid) {
                assert!(start.elapsed() < Duration::from_secs(30), "never reaped");
                // Every spawn sweeps the orphan list.
                Command::new("true").status().await.unwrap();
                deli::sleep(Duration::from_millis(10)).await;
            }
        })
    });
    assert_no_zombies();
}

#[test]
fn bad_programs_are_typed_errors() {
    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            let missing = Command::new("deli-no-such-program-xyz")
                .spawn()
                .unwrap_err();
            assert_eq!(missing.kind(), io::ErrorKind::NotFound);
            let missing = Command::new("/no/such/dir/prog")
                .output()
                .await
                .unwrap_err();
            assert_eq!(missing.kind(), io::ErrorKind::NotFound);

            let dir = std::env::temp_dir().join(format!("deli-subprocess-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let not_executable = dir.join("not-executable");
            std::fs::write(&not_executable, "#!/bin/sh\n").unwrap();
            let denied = Command::new(&not_executable).spawn().unwrap_err();
            assert_eq!(denied.kind(), io::ErrorKind::PermissionDenied);
            std::fs::remove_dir_all(&dir).unwrap();

            let no_dir = Command::new("true")
                .current_dir("/no/such/dir")
                .status()
                .await
                .unwrap_err();
            assert_eq!(no_dir.kind(), io::ErrorKind::NotFound);
        })
    });
    // Outside a runtime: an error, and nothing started.
    let outside = Command::new("true").spawn().unwrap_err();
    assert_eq!(outside.kind(), io::ErrorKind::Other);
    assert_no_zombies();
}

#[test]
fn environment_working_directory_and_null_stdio() {
    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            std::env::set_var("DELI_SUBPROCESS_INHERITED", "yes");
            let output = Command::new("sh")
                .args(["-c", "printf '%s|%s|%s|%s' \"$A\" \"$B\" \"${DELI_SUBPROCESS_INHERITED-gone}\" \"$(pwd)\""])
                .env("A", "1")
                .envs([("B", "2")])
                .env_remove("DELI_SUBPROCESS_INHERITED")
                .current_dir("/tmp")
                .output()
                .await
                .unwrap();
            let tmp = std::fs::canonicalize("/tmp").unwrap();
            assert_eq!(
                String::from_utf8(output.stdout).unwrap(),
                format!("1|2|gone|{}", tmp.display())
            );

            let inherited = Command::new("sh")
                .args(["-c", "printf %s \"$DELI_SUBPROCESS_INHERITED\""])
                .output()
                .await
                .unwrap();
            assert_eq!(inherited.stdout, b"yes");

            let cleared = Command::new("/usr/bin/env")
                .env_clear()
                .env("ONLY", "this")
                .output()
                .await
                .unwrap();
            assert_eq!(cleared.stdout, b"ONLY=this\n");

            // Null stdin: `cat` reads end-of-file at once and ends.
            let from_null = Command::new("cat")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .output()
                .await
                .unwrap();
            assert!(from_null.status.success());
            assert!(from_null.stdout.is_empty());

            // Null stdout and stderr: nothing captured, no pipes handed out.
            let mut quiet = Command::new("sh")
                .args(["-c", "echo out; echo err >&2"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            assert!(quiet.stdout.is_none() && quiet.stderr.is_none() && quiet.stdin.is_none());
            assert!(quiet.wait().await.unwrap().success());

            // stderr piped on its own, read through futures-io.
            let mut loud = Command::new("sh")
                .args(["-c", "echo oops >&2; exit 4"])
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut text = String::new();
            loud.stderr
                .take()
                .unwrap()
                .read_to_string(&mut text)
                .await
                .unwrap();
            assert_eq!(text, "oops\n");
            assert_eq!(loud.wait().await.unwrap().code(), Some(4));
        })
    });
    assert_no_zombies();
}

#[test]
fn writing_to_a_child_that_stopped_reading_is_broken_pipe() {
    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let status = child.wait().await.unwrap();
            assert!(status.success());
            // The reader is gone: the write fails, the parent lives on.
            let error = stdin.write_all(&[0; 1 << 20]).await.unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        })
    });
    assert_no_zombies();
}

/// The pipes through tokio's traits (`tokio-io`): `tokio-util` line codecs
/// writing to `cat` and reading its echo.
#[cfg(feature = "tokio-io")]
#[test]
fn pipes_through_tokio_util_codecs() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};

    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut lines_in = FramedWrite::new(child.stdin.take().unwrap(), LinesCodec::new());
            let mut lines_out = FramedRead::new(child.stdout.take().unwrap(), LinesCodec::new());
            for word in ["one", "two", "three"] {
                lines_in.send(word).await.unwrap();
                assert_eq!(lines_out.next().await.unwrap().unwrap(), word);
            }
            SinkExt::<&str>::close(&mut lines_in).await.unwrap(); // `cat` sees EOF
            assert!(lines_out.next().await.is_none());
            assert!(child.wait().await.unwrap().success());
        })
    });
    assert_no_zombies();
}

#[test]
fn read_to_end_counts_every_byte_when_output_comes_in_two_parts() {
    let _turn = turn();
    within(BOUND, || {
        runtime().block_on(async {
            let mut child = Command::new("sh")
                .args(["-c", "printf a; sleep 0.2; printf bc"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut all = Vec::new();
            // The first part arrives, the read waits, then the rest: the
            // count is of the whole call, not of its last poll.
            let read = child
                .stdout
                .as_mut()
                .unwrap()
                .read_to_end(&mut all)
                .await
                .unwrap();
            assert_eq!((read, all.as_slice()), (3, &b"abc"[..]));
            child.wait().await.unwrap();
        })
    });
    assert_no_zombies();
}
