//! The `python` suite: the `deli` Python package's
//! `deli.ProcessPoolExecutor` against Python's own process pools —
//! `concurrent.futures.ProcessPoolExecutor` (`cf`), `loky` and
//! `pebble.ProcessPool` — 2 workers each.
//!
//! Cases: `tiny` (20,000 jobs that return their argument, all submitted at
//! once, then every result waited for) and `cpu` (200 jobs that chain
//! SHA-256 with `hashlib` for about 20 ms each, every digest checked).
//! Everything runs in one Python process, `py/python_bench.py`, in the
//! bench's own environment `target/bench-venv` that
//! `scripts/bench-python.sh` makes (maturin, loky and pebble from PyPI, a
//! release wheel of `crates/deli-py`). Its four pools start and warm up
//! before the first timed run; each round then asks it for one deli run and
//! one peer run, interleaved by the harness. Where python3 or the installs
//! are unavailable the suite says so in one line and is skipped. Prints
//! `BENCH python/<case> deli=<ns> <peer>=<ns> ratio=<deli/peer>` per peer.
//! Calls the harness and the Python script only.

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::harness::Harness;

/// Worker processes in each pool.
const WORKERS: usize = 2;
const TINY_JOBS: u64 = 20_000;
const CPU_JOBS: usize = 200;
const CPU_JOB_MILLIS: u64 = 20;
/// The Python pools deli's is compared with, as the script names them.
const PEERS: [&str; 3] = ["cf", "loky", "pebble"];

/// The workspace's root (this crate is `crates/deli-bench`).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `scripts/bench-python.sh`; the venv's python, or why there is none.
fn prepare_environment() -> Result<PathBuf, String> {
    let script = workspace_root().join("scripts/bench-python.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().last().map(str::trim) {
        Some(python) if output.status.success() && !python.is_empty() => Ok(PathBuf::from(python)),
        _ => Err("the bench environment could not be made (see the line above)".into()),
    }
}

/// The Python process, between runs.
struct Python {
    child: Child,
    commands: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl Python {
    fn start(python: &Path) -> io::Result<Python> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/py/python_bench.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(WORKERS.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let (Some(commands), Some(answers)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("python without pipes"));
        };
        Ok(Python {
            child,
            commands,
            answers: BufReader::new(answers),
        })
    }

    /// Sends one command; the number it answers.
    fn ask(&mut self, command: &str) -> io::Result<u64> {
        let mut line = String::new();
        writeln!(self.commands, "{command}")?;
        self.commands.flush()?;
        self.answers.read_line(&mut line)?;
        line.trim().parse::<u64>().map_err(|_| {
            io::Error::other(format!(
                "the bench script answered `{command}` with {line:?}"
            ))
        })
    }

    /// One timed run; a run that fails its check ends the bench loudly,
    /// since a time for wrong work would be a wrong figure.
    fn run(&mut self, command: &str) -> Duration {
        match self.ask(command) {
            Ok(nanos) => Duration::from_nanos(nanos),
            Err(error) => panic!("python suite: {error}"),
        }
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
    if !harness.selects("python/") && !PEERS.iter().any(|peer| harness.selects(peer)) {
        return Ok(());
    }
    let python = match prepare_environment() {
        Ok(python) => python,
        Err(why) => {
            eprintln!("deli-bench: python suite skipped: {why}");
            return Ok(());
        }
    };
    let (bench, rounds) = {
        let _guard = harness.watch("python: starting and warming the pools");
        let mut bench = Python::start(&python)?;
        // The first answer comes once every pool is warm.
        let rounds = bench.ask(&format!("calibrate {CPU_JOB_MILLIS}"))?;
        (bench, rounds)
    };
    // Both sides of a comparison talk to the one Python process, in turn.
    let bench = RefCell::new(bench);
    let cases = [
        ("tiny", format!("{TINY_JOBS}")),
        ("cpu", format!("{CPU_JOBS} {rounds}")),
    ];
    for (case, arguments) in &cases {
        for peer in PEERS {
            let name = format!("python/{case}");
            if !harness.selects(&name) && !harness.selects(peer) {
                continue;
            }
            let comparison = harness.compare(
                &name,
                || bench.borrow_mut().run(&format!("{case} deli {arguments}")),
                || {
                    bench
                        .borrow_mut()
                        .run(&format!("{case} {peer} {arguments}"))
                },
            );
            println!("{}", comparison.line(peer));
        }
    }
    Ok(())
}
