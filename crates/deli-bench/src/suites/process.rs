//! The `process` suite: deli's process pool against Python's
//! `concurrent.futures.ProcessPoolExecutor`, 2 workers each.
//!
//! Cases: `tiny` (10,000 jobs that return their integer argument, all
//! submitted at once, then every result waited for); `tiny-map`,
//! `tiny-map-chunk1`, `tiny-map-chunk100` and `tiny-map-unordered` (the
//! same jobs through `ProcessPool::map` — chunks sized from measurements
//! (the default), exactly one item per request, a hundred, and the default
//! in completion order — against the `submit` loop of `tiny`, printed as
//! `deli=<map> submit=<submit>`); and `cpu` (200 jobs
//! that each chain SHA-256 over a 32-byte digest for about 20 ms on the
//! deli side; Python runs the same chain with `hashlib` and must reach the
//! same digest). The Python side is `py/process_bench.py`, kept running
//! for the whole suite and asked for one timed run per round; it reports
//! its own nanoseconds, measured the same way. Without `python3` the suite
//! says so in one line and is skipped. Prints
//! `BENCH process/<case> deli=<ns> python=<ns> ratio=<deli/python>`.
//! Calls the harness and deli's public API only.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::{sum_tickets, time_tiny_jobs};
use crate::harness::Harness;

/// Worker processes on each side.
const WORKERS: usize = 2;
const TINY_JOBS: u64 = 10_000;
const CPU_JOBS: usize = 200;
const CPU_JOB_TIME: Duration = Duration::from_millis(20);

#[deli::job]
fn identity(n: u64) -> u64 {
    n
}

#[deli::job]
fn hash_chain(rounds: u64) -> String {
    chain(rounds)
}

/// SHA-256 applied `rounds` times, starting from `b"deli"`; hex digest.
fn chain(rounds: u64) -> String {
    let mut digest: Vec<u8> = b"deli".to_vec();
    for _ in 0..rounds {
        digest = Sha256::digest(&digest).to_vec();
    }
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// How many chain rounds take about `CPU_JOB_TIME` here.
fn calibrate() -> u64 {
    let mut rounds = 1_000;
    loop {
        let start = Instant::now();
        std::hint::black_box(chain(rounds));
        let elapsed = start.elapsed();
        if elapsed >= Duration::from_millis(50) {
            let per_second = rounds as f64 / elapsed.as_secs_f64();
            return (per_second * CPU_JOB_TIME.as_secs_f64()).max(1.0) as u64;
        }
        rounds *= 2;
    }
}

/// The Python process, between runs.
struct Python {
    child: Child,
    commands: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl Python {
    fn start() -> io::Result<Python> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/py/process_bench.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(WORKERS.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(commands), Some(answers)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("python3 without pipes"));
        };
        Ok(Python {
            child,
            commands,
            answers: BufReader::new(answers),
        })
    }

    /// Sends one command; returns the run's time and the rest of the line.
    fn run(&mut self, command: &str) -> (Duration, String) {
        let mut line = String::new();
        let sent = writeln!(self.commands, "{command}").and_then(|()| self.commands.flush());
        let read = sent.and_then(|()| self.answers.read_line(&mut line));
        let mut words = line.split_whitespace();
        let nanos = match (read, words.next().and_then(|n| n.parse::<u64>().ok())) {
            (Ok(_), Some(nanos)) => nanos,
            _ => panic!("python3 did not answer `{command}`: {line:?}"),
        };
        (
            Duration::from_nanos(nanos),
            words.collect::<Vec<_>>().join(" "),
        )
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = writeln!(self.commands, "quit");
        let _ = self.commands.flush();
        let _ = self.child.wait();
    }
}

/// Runs every case of the suite.
pub fn run(harness: &Harness) -> io::Result<()> {
    let mut python = match Python::start() {
        Ok(python) => python,
        Err(error) => {
            eprintln!("deli-bench: process suite skipped: cannot run python3 ({error})");
            return Ok(());
        }
    };
    let pool = deli::ProcessPool::new(WORKERS).map_err(io::Error::other)?;

    let submit_tiny = || {
        time_tiny_jobs(TINY_JOBS, || {
            let tickets: Vec<_> = (0..TINY_JOBS).map(|n| pool.submit(identity, n)).collect();
            sum_tickets(tickets)
        })
    };
    harness.bench("process/tiny", "python", submit_tiny, || {
        python.run(&format!("tiny {TINY_JOBS}")).0
    });

    // `map` against `submit` for the same tiny jobs: measured chunk sizes,
    // one per request, a hundred per request, and in completion order.
    for (case, chunksize, unordered) in [
        ("tiny-map", None, false),
        ("tiny-map-chunk1", Some(1), false),
        ("tiny-map-chunk100", Some(100), false),
        ("tiny-map-unordered", None, true),
    ] {
        harness.bench(
            &format!("process/{case}"),
            "submit",
            || {
                time_tiny_jobs(TINY_JOBS, || match (unordered, chunksize) {
                    (true, _) => pool
                        .map_unordered(identity, 0..TINY_JOBS)
                        .map(|(_, result)| result.unwrap_or(0))
                        .sum(),
                    (false, None) => pool
                        .map(identity, 0..TINY_JOBS)
                        .map(|result| result.unwrap_or(0))
                        .sum(),
                    (false, Some(items)) => pool
                        .map(identity, 0..TINY_JOBS)
                        .chunksize(items)
                        .map(|result| result.unwrap_or(0))
                        .sum(),
                })
            },
            submit_tiny,
        );
    }

    let rounds = calibrate();
    let expected = chain(rounds);
    harness.bench(
        "process/cpu",
        "python",
        || {
            let start = Instant::now();
            let digests: Vec<_> = pool
                .map(hash_chain, std::iter::repeat_n(rounds, CPU_JOBS))
                .collect();
            let elapsed = start.elapsed();
            assert!(digests
                .iter()
                .all(|d| d.as_deref() == Ok(expected.as_str())));
            elapsed
        },
        || {
            let (elapsed, digest) = python.run(&format!("cpu {CPU_JOBS} {rounds}"));
            assert_eq!(digest, expected, "python computed a different chain");
            elapsed
        },
    );
    Ok(())
}
