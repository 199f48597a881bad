//! Python side by side: the same jobs run by `py/lab.py` (shipped inside
//! the binary, written to a temporary file for the run) with Python's
//! threading, ProcessPoolExecutor and asyncio, against the same delay
//! server. The script measures its own run the way the Rust side does and
//! reports per-job spans as JSON on stdout.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde::Deserialize;

use super::modes::{Mode, RunOutcome};
use super::workload::{JobOutput, JobSpec};

const SCRIPT: &str = include_str!("../../py/lab.py");

/// Numbers each interpreter's copy of the script: two may be alive at once
/// (python3 and the one with `deli`), and each removes its own.
static SCRIPTS: AtomicUsize = AtomicUsize::new(0);

/// The interpreters that may have the `deli` package, best first: the
/// workspace's own virtual environments (the test script's and the bench's,
/// found from the current directory and from where this crate was built),
/// then `fallback` (the lab's `--python`).
pub fn deli_candidates(fallback: &OsStr) -> Vec<OsString> {
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut candidates = Vec::new();
    for root in [Path::new("."), built_in.as_path()] {
        for venv in ["target/py-venv", "target/bench-venv"] {
            let python = root.join(venv).join("bin/python");
            if python.is_file() {
                candidates.push(python.into_os_string());
            }
        }
    }
    candidates.push(fallback.to_owned());
    candidates
}

/// The first of `candidates` that starts and can `import deli`; otherwise
/// one line saying why the `python-deli-processes` row cannot run.
pub fn find_deli(candidates: &[OsString]) -> Result<Python, String> {
    for candidate in candidates {
        let imports = Command::new(candidate)
            .args(["-c", "import deli"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if imports {
            return Python::find(candidate);
        }
    }
    let tried: Vec<_> = candidates.iter().map(|c| c.to_string_lossy()).collect();
    Err(format!(
        "no python here can `import deli` (tried {}); ./scripts/test-python.sh installs it",
        tried.join(", ")
    ))
}

/// A Python interpreter that answered, and the script written for it.
#[derive(Debug)]
pub struct Python {
    interpreter: OsString,
    version: String,
    script: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Report {
    start_ns: u64,
    end_ns: u64,
    cpu_ns: u64,
    jobs: Vec<JobOutput>,
}

impl Python {
    /// Asks `interpreter` for its version and writes the script; the error
    /// says, in one line, why Python cannot take part.
    pub fn find(interpreter: &OsStr) -> Result<Python, String> {
        let shown = interpreter.to_string_lossy();
        let output = Command::new(interpreter)
            .args(["-c", "import sys; print(sys.version.split()[0])"])
            .stdin(Stdio::null())
            .output()
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => format!("{shown} not found"),
                _ => format!("cannot run {shown}: {error}"),
            })?;
        if !output.status.success() {
            return Err(format!("{shown} failed to start ({})", output.status));
        }
        let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let script = std::env::temp_dir().join(format!(
            "deli-lab-{}-{}.py",
            std::process::id(),
            SCRIPTS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&script, SCRIPT)
            .map_err(|error| format!("cannot write {}: {error}", script.display()))?;
        Ok(Python {
            interpreter: interpreter.to_owned(),
            version,
            script,
        })
    }

    /// The interpreter as it was given (a path or a name on `PATH`).
    pub fn interpreter(&self) -> &OsStr {
        &self.interpreter
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// How many SHA-256 rounds take about `target` in this interpreter
    /// (measured by the script itself, once per lab run).
    pub fn rounds_for(&self, target: Duration) -> Result<u64, String> {
        let output = Command::new(&self.interpreter)
            .arg(&self.script)
            .args(["calibrate", &target.as_nanos().to_string()])
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run python: {error}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        match text.trim().parse::<u64>() {
            Ok(rounds) if output.status.success() && rounds > 0 => Ok(rounds),
            _ => Err(format!(
                "python could not calibrate its CPU job ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
            )),
        }
    }

    /// Runs `jobs` jobs of `spec` in a Python `mode`.
    pub fn run(
        &self,
        mode: Mode,
        spec: &JobSpec,
        jobs: u64,
        workers: usize,
    ) -> Result<RunOutcome, String> {
        let Some(name) = mode.python_name() else {
            return Err(format!("{} is not a Python mode", mode.name()));
        };
        let (host, port) = spec
            .server
            .rsplit_once(':')
            .ok_or_else(|| format!("bad server address {}", spec.server))?;
        let output = Command::new(&self.interpreter)
            .arg(&self.script)
            .args([
                name,
                spec.workload.name(),
                &jobs.to_string(),
                &spec.rounds.to_string(),
                host,
                port,
                &workers.to_string(),
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run python: {error}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().last().unwrap_or("").trim();
            return Err(format!("python {name} failed ({}): {last}", output.status));
        }
        let report: Report = serde_json::from_slice(&output.stdout)
            .map_err(|error| format!("python {name} printed no report: {error}"))?;
        Ok(RunOutcome {
            outputs: report.jobs,
            start_ns: report.start_ns,
            end_ns: report.end_ns,
            cpu: Duration::from_nanos(report.cpu_ns),
            note: None,
            trace_json: None,
        })
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.script);
    }
}
