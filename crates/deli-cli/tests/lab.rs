//! `deli lab` end to end: the quick run's JSON has every mode for every
//! workload, its pictures and report parse as XML, and a missing Python
//! interpreter costs one line and the Python rows, nothing else.
//!
//! Each run is a child process with a bound; a run past it is killed and
//! fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The bound for `deli lab --quick` (it takes a few seconds here).
const QUICK_BOUND: Duration = Duration::from_secs(60);

const DELI_MODES: [&str; 6] = [
    "sequential",
    "threads",
    "thread-pool",
    "process-pool",
    "async",
    "async+pool",
];
const PYTHON_MODES: [&str; 4] = [
    "python-sequential",
    "python-threads",
    "python-processes",
    "python-asyncio",
];

/// A fresh directory of this test's own under the system's temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("deli-lab-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `deli` with `args`, killing it past `bound`.
fn deli(args: &[&str], bound: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_deli"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("deli starts");
    // Read the pipes on threads so a full pipe cannot stall the child.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut text).map(|_| text)
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if start.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            panic!("deli {args:?} ran past {bound:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let output = Output {
        status,
        stdout: out.join().expect("reader").expect("stdout"),
        stderr: err.join().expect("reader").expect("stderr"),
    };
    (output, elapsed)
}

fn python_present() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn parse_xml(path: &Path) -> String {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    // Fails the test with the parser's position if the file is not
    // well-formed; the HTML starts with `<!DOCTYPE html>`.
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(&text, options)
        .unwrap_or_else(|error| panic!("{} is not well-formed XML: {error}", path.display()));
    text
}

#[test]
fn quick_lab_reports_every_mode_for_every_workload() {
    let out = scratch("quick");
    let (output, elapsed) = deli(
        &["lab", "--quick", "--json", "--out", out.to_str().unwrap()],
        QUICK_BOUND,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "deli lab failed: {stderr}");
    eprintln!("deli lab --quick --json took {elapsed:.1?}");

    // Nothing but the JSON on stdout.
    let document: Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    let rows = document["results"].as_array().expect("a results array");
    let mut modes: Vec<&str> = DELI_MODES.to_vec();
    if python_present() {
        modes.extend(PYTHON_MODES);
    }
    for workload in ["io", "cpu", "mixed"] {
        for mode in &modes {
            let row = rows
                .iter()
                .find(|row| row["workload"] == workload && row["mode"] == *mode)
                .unwrap_or_else(|| panic!("no row for {workload} / {mode}"));
            assert_eq!(row["correct"], true, "{workload} / {mode}: {row}");
            assert!(row["wall_ms"].as_f64().unwrap() > 0.0);
            assert!(row["cpu_ms"].as_f64().is_some());
            assert!(row["speedup"].as_f64().unwrap() > 0.0);
            assert!(row["peak_parallelism"].as_u64().unwrap() >= 1);
            let svg = row["svg"].as_str().expect("an SVG per run");
            let text = parse_xml(&out.join(svg));
            assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(text.contains("<rect"), "{svg} has no bars");
            // deli's executors are traced too; the other modes have no deli work.
            let traced = ["thread-pool", "process-pool", "async", "async+pool"].contains(mode);
            match row["trace"].as_str() {
                Some(trace) => {
                    assert!(traced, "{workload} / {mode} has a deli trace");
                    let text = std::fs::read_to_string(out.join(trace)).unwrap();
                    let trace: Value = serde_json::from_str(&text).expect("trace JSON");
                    assert!(!trace["traceEvents"].as_array().unwrap().is_empty());
                }
                None => assert!(!traced, "{workload} / {mode} has no deli trace"),
            }
        }
    }
    assert_eq!(rows.len(), 3 * modes.len());
    // Sequential runs one job at a time; a thread per job runs them all.
    let peak = |workload: &str, mode: &str| {
        rows.iter()
            .find(|row| row["workload"] == workload && row["mode"] == mode)
            .and_then(|row| row["peak_parallelism"].as_u64())
    };
    assert_eq!(peak("io", "sequential"), Some(1));
    assert_eq!(peak("io", "threads"), document["settings"]["jobs"].as_u64());

    let html = parse_xml(&out.join("index.html"));
    assert_eq!(html.matches("<svg ").count(), rows.len());
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results, document);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn without_python_the_lab_says_so_once_and_carries_on() {
    let out = scratch("nopython");
    let (output, _) = deli(
        &[
            "lab",
            "--quick",
            "--json",
            "--workload",
            "io",
            "--mode",
            "sequential,python-threads",
            "--python",
            "/nonexistent/python3",
            "--out",
            out.to_str().unwrap(),
        ],
        QUICK_BOUND,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "deli lab failed: {stderr}");
    let said: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("python"))
        .collect();
    assert_eq!(
        said,
        ["deli lab: /nonexistent/python3 not found; skipping the Python rows"]
    );
    let document: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let modes: Vec<&str> = document["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["sequential"]);
    assert!(document["python"].as_str().unwrap().contains("not found"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_table_goes_to_stdout_without_json_and_repeats_interleave() {
    let out = scratch("table");
    let (output, _) = deli(
        &[
            "lab",
            "--quick",
            "--workload",
            "cpu",
            "--mode",
            "sequential",
            "--mode",
            "thread-pool",
            "--repeat",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        QUICK_BOUND,
    );
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("workload mode"), "{stdout}");
    assert!(stdout.contains("each mode run 2 times"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("cpu      thread-pool")),
        "{stdout}"
    );
    assert!(out.join("cpu-thread-pool.svg").is_file());
    let _ = std::fs::remove_dir_all(&out);
}
