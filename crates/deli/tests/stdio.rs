//! `deli::io::{stdin, stdout, stderr}` through real pipes: each test
//! re-runs this test binary as a child, filtered to [`child_entry`] with a
//! marker in the environment saying what to do; the child reads its stdin
//! and writes its stdout and stderr with deli only, and the parent checks
//! every byte.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;

use futures_util::{AsyncReadExt, AsyncWriteExt, StreamExt};

/// Names what the child does; unset in the parent.
const MODE: &str = "DELI_STDIO_TEST_MODE";
/// Around the child's output on stdout, which libtest shares.
const BEGIN: &str = "<<deli-stdio-begin>>";
const END: &str = "<<deli-stdio-end>>";

/// The child's side. In the parent (no marker) there is nothing to do:
/// the tests below run it in a child.
#[test]
fn child_entry() {
    let Ok(mode) = std::env::var(MODE) else {
        return;
    };
    let runtime = deli::Runtime::builder().workers(2).build().unwrap();
    runtime.block_on(async move {
        // libtest prints to the same stdout: frame what the child writes.
        {
            let mut out = deli::io::stdout();
            out.write_all(BEGIN.as_bytes()).await.unwrap();
            out.flush().await.unwrap();
        }
        match mode.as_str() {
            "read_line" => {
                // A fresh handle per line: nothing may be lost between them.
                let mut out = deli::io::stdout();
                let mut count = 0;
                loop {
                    let mut line = String::new();
                    if deli::io::stdin().read_line(&mut line).await.unwrap() == 0 {
                        break;
                    }
                    count += 1;
                    out.write_all(format!("echo: {line}").as_bytes())
                        .await
                        .unwrap();
                }
                out.flush().await.unwrap();
                let mut err = deli::io::stderr();
                err.write_all(format!("lines={count}\n").as_bytes())
                    .await
                    .unwrap();
                err.flush().await.unwrap();
            }
            "lines" => {
                let mut lines = deli::io::stdin().lines();
                let mut out = deli::io::stdout();
                while let Some(line) = lines.next().await {
                    let line = line.unwrap();
                    out.write_all(format!("[{}]\n", line.len()).as_bytes())
                        .await
                        .unwrap();
                }
                out.flush().await.unwrap();
            }
            "bytes" => {
                // AsyncRead in, AsyncWrite out, in odd-sized pieces.
                let mut stdin = deli::io::stdin();
                let mut out = deli::io::stdout();
                let mut buf = vec![0; 3_001];
                loop {
                    let n = AsyncReadExt::read(&mut stdin, &mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    AsyncWriteExt::write_all(&mut out, &buf[..n]).await.unwrap();
                }
                out.close().await.unwrap();
            }
            "invalid_utf8" => {
                let mut line = String::new();
                let error = deli::io::stdin().read_line(&mut line).await.unwrap_err();
                let mut err = deli::io::stderr();
                err.write_all(format!("kind={:?} line={line:?}\n", error.kind()).as_bytes())
                    .await
                    .unwrap();
                err.flush().await.unwrap();
            }
            "closed_stdout" => {
                // The parent closed our stdout: writes fail with BrokenPipe
                // (Rust ignores SIGPIPE), reported by flush, no panic. The
                // parent says on stdin when it has closed the pipe.
                let mut go = String::new();
                deli::io::stdin().read_line(&mut go).await.unwrap();
                let mut out = deli::io::stdout();
                let mut failure = None;
                for _ in 0..64 {
                    if let Err(error) = out.write_all(&[b'x'; 65_536]).await {
                        failure = Some(error);
                        break;
                    }
                }
                let kind = match failure {
                    // Every write was accepted: flush reports the failure.
                    Some(error) => error.kind(),
                    None => out.flush().await.unwrap_err().kind(),
                };
                let mut err = deli::io::stderr();
                err.write_all(format!("kind={kind:?}\n").as_bytes())
                    .await
                    .unwrap();
                err.flush().await.unwrap();
            }
            other => panic!("unknown mode {other}"),
        }
        if mode != "closed_stdout" {
            let mut out = deli::io::stdout();
            out.write_all(END.as_bytes()).await.unwrap();
            out.flush().await.unwrap();
        }
    });
}

/// What a child printed.
struct Printed {
    /// Its stdout between the markers.
    out: Vec<u8>,
    err: String,
}

/// Runs this binary as a child in `mode` and feeds it `input` from another
/// thread (so a full pipe cannot deadlock the two); with `close_stdout`
/// the parent closes the read end of the child's stdout at once.
fn run_child(mode: &str, input: Vec<u8>, close_stdout: bool) -> Printed {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_entry",
            "--nocapture",
            "--test-threads=1",
            "--quiet",
        ])
        .env(MODE, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut all = Vec::new();
    if close_stdout {
        // Wait for the child to be running (libtest has printed its
        // header by then), close its stdout, then tell it to write.
        let mut chunk = [0; 256];
        while find(&all, BEGIN.as_bytes()).is_none() {
            let n = stdout.read(&mut chunk).unwrap();
            assert!(n > 0, "the child ended before its marker");
            all.extend_from_slice(&chunk[..n]);
        }
        drop(stdout);
        stdin.write_all(b"go\n").unwrap();
        drop(stdin);
        let err = err_reader.join().unwrap();
        let _ = child.wait().unwrap();
        // libtest itself may fail to print its summary: only stderr counts.
        return Printed {
            out: Vec::new(),
            err,
        };
    }
    let feeder = thread::spawn(move || {
        // A child that stops reading early closes the pipe: no error here.
        let _ = stdin.write_all(&input);
    });
    stdout.read_to_end(&mut all).unwrap();
    feeder.join().unwrap();
    let err = err_reader.join().unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the child failed: {status}\nstderr:\n{err}"
    );
    let start = find(&all, BEGIN.as_bytes()).expect("the begin marker") + BEGIN.len();
    let end = find(&all, END.as_bytes()).expect("the end marker");
    Printed {
        out: all[start..end].to_vec(),
        err,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn read_line_echoes_every_line_through_deli_stdin_and_stdout() {
    let mut input = String::new();
    let mut expected = String::new();
    for i in 0..2_000 {
        // Lines of varied length, some long enough to span std's buffer.
        let line = format!("line {i} {}\n", "x".repeat(i % 37 * (1 + i % 300)));
        input.push_str(&line);
        expected.push_str(&format!("echo: {line}"));
    }
    // A last line without a newline still counts.
    input.push_str("tail");
    expected.push_str("echo: tail");
    let printed = run_child("read_line", input.into_bytes(), false);
    assert_eq!(String::from_utf8(printed.out).unwrap(), expected);
    assert!(
        printed.err.contains("lines=2001"),
        "stderr: {}",
        printed.err
    );
}

#[test]
fn lines_stream_strips_line_endings() {
    let input = "a\nbb\r\n\nccc\ndddd".to_owned();
    let printed = run_child("lines", input.into_bytes(), false);
    assert_eq!(
        String::from_utf8(printed.out).unwrap(),
        "[1]\n[2]\n[0]\n[3]\n[4]\n"
    );
}

#[test]
fn bytes_pass_through_async_read_and_write_unchanged() {
    // 3 MiB of every byte value but '<' (the markers' first byte).
    let input: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| match (i.wrapping_mul(2_654_435_761) >> 24) as u8 {
            b'<' => b'>',
            byte => byte,
        })
        .collect();
    let printed = run_child("bytes", input.clone(), false);
    assert_eq!(printed.out.len(), input.len());
    assert!(printed.out == input, "the bytes came back changed");
}

#[test]
fn a_line_that_is_not_utf8_is_invalid_data() {
    let printed = run_child("invalid_utf8", vec![b'a', 0xff, b'\n'], false);
    assert!(
        printed.err.contains("kind=InvalidData line=\"\""),
        "stderr: {}",
        printed.err
    );
}

#[test]
fn writing_to_a_closed_stdout_is_broken_pipe() {
    let printed = run_child("closed_stdout", Vec::new(), true);
    assert!(printed.out.is_empty());
    assert!(
        printed.err.contains("kind=BrokenPipe"),
        "stderr: {}",
        printed.err
    );
}
