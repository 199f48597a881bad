//! `deli lab` end to end: the quick run's JSON has every mode for every
//! workload, its pictures and report parse as XML, and a missing Python
//! interpreter costs one line and the Python rows, nothing else; a default
//! run summarises three runs per mode; the sweep has a point per mode and
//! worker count.
//!
//! Each run is a child process with a bound; a run past it is killed and
//! fails the test.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{deli, scratch};
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

fn python_present() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A python that can `import deli`, as the lab looks for one first.
fn deli_python() -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    ["target/py-venv/bin/python", "target/bench-venv/bin/python"]
        .iter()
        .map(|venv| root.join(venv))
        .find(|python| {
            Command::new(python)
                .args(["-c", "import deli"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
        .map(|python| python.to_string_lossy().into_owned())
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
        // deli's own Python row is a default row too: run where a python
        // can import deli, skipped (not failed) where none can.
        let row = rows
            .iter()
            .find(|row| row["workload"] == "cpu" && row["mode"] == "python-deli-processes")
            .expect("a python-deli-processes row");
        if deli_python().is_some() {
            modes.push("python-deli-processes");
        } else {
            eprintln!("no python here imports deli: checking the row is skipped");
            assert!(row["skipped"].is_string(), "{row}");
        }
    }
    let shown_rows = rows.iter().filter(|row| row["skipped"].is_null()).count();
    for workload in ["io", "cpu", "mixed"] {
        for mode in &modes {
            let row = rows
                .iter()
                .find(|row| row["workload"] == workload && row["mode"] == *mode)
                .unwrap_or_else(|| panic!("no row for {workload} / {mode}"));
            assert_eq!(row["correct"], true, "{workload} / {mode}: {row}");
            assert!(row["wall_ms"].as_f64().unwrap() > 0.0);
            assert_eq!(row["runs"], 1, "--quick keeps one run");
            assert!(row["flags"].is_array());
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
    assert_eq!(shown_rows, 3 * modes.len());
    // Sequential runs one job at a time; a thread per job runs them all.
    let peak = |workload: &str, mode: &str| {
        rows.iter()
            .find(|row| row["workload"] == workload && row["mode"] == mode)
            .and_then(|row| row["peak_parallelism"].as_u64())
    };
    assert_eq!(peak("io", "sequential"), Some(1));
    assert_eq!(peak("io", "threads"), document["settings"]["jobs"].as_u64());

    // --quick says it is one run each.
    assert_eq!(document["settings"]["repeat"], 1);
    // One recommendation per workload, naming a deli mode.
    let advice = document["recommendations"]
        .as_array()
        .expect("recommendations");
    assert_eq!(advice.len(), 3);
    for (line, workload) in advice.iter().zip(["io", "cpu", "mixed"]) {
        let line = line.as_str().unwrap();
        let chosen = line
            .strip_prefix(&format!("{workload}: use `"))
            .and_then(|rest| rest.split('`').next())
            .unwrap_or_else(|| panic!("{line}"));
        assert!(DELI_MODES.contains(&chosen), "{line}");
    }

    let html = parse_xml(&out.join("index.html"));
    // A timeline per row, and a speedup chart per workload.
    assert_eq!(html.matches("<svg ").count(), shown_rows + 3);
    assert_eq!(html.matches("class=\"speedup-chart\"").count(), 3);
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
    assert!(
        stdout.contains("recommendations for this machine"),
        "{stdout}"
    );
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

#[test]
fn by_default_each_mode_runs_three_times_and_rows_show_median_and_spread() {
    let out = scratch("default");
    let (output, _) = deli(
        &[
            "lab",
            "--json",
            "--workload",
            "cpu",
            "--jobs",
            "4",
            "--mode",
            "sequential,thread-pool",
            "--out",
            out.to_str().unwrap(),
        ],
        QUICK_BOUND,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "deli lab failed: {stderr}");
    let document: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(document["settings"]["repeat"], 3);
    let rows = document["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        assert_eq!(row["runs"], 3, "{row}");
        let runs: Vec<f64> = row["wall_ms_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|wall| wall.as_f64().unwrap())
            .collect();
        assert_eq!(runs.len(), 3);
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let field = |name: &str| row[name].as_f64().unwrap();
        assert_eq!(field("wall_ms"), sorted[1], "the median run");
        assert_eq!(field("wall_ms_min"), sorted[0]);
        assert_eq!(field("wall_ms_max"), sorted[2]);
        assert!(field("speedup_min") <= field("speedup"));
        assert!(field("speedup") <= field("speedup_max"));
    }
    // The baseline's speedup is its median over itself.
    assert_eq!(rows[0]["speedup"], 1.0);
    // Interleaved: sequential, thread-pool, sequential, thread-pool, ...
    let starts = |row: &Value| -> Vec<u64> {
        row["run_starts_ns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|start| start.as_u64().unwrap())
            .collect()
    };
    let (sequential, pool) = (starts(&rows[0]), starts(&rows[1]));
    for run in 0..3 {
        assert!(sequential[run] < pool[run], "{sequential:?} {pool:?}");
        if run + 1 < 3 {
            assert!(pool[run] < sequential[run + 1], "{sequential:?} {pool:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_sweep_has_a_point_per_mode_and_worker_count_and_draws_the_ideal_line() {
    let out = scratch("sweep");
    let (output, elapsed) = deli(
        &[
            "lab",
            "--sweep",
            "--quick",
            "--json",
            "--max-workers",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        QUICK_BOUND,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "deli lab --sweep failed: {stderr}");
    eprintln!("deli lab --sweep --quick took {elapsed:.1?}");
    let document: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    let sweep = &document["sweep"];
    assert_eq!(sweep["max_workers"], 2);
    let mut expected = vec!["threads", "thread-pool", "process-pool"];
    if python_present() {
        expected.push("python-processes");
    }
    let series = sweep["series"].as_array().unwrap();
    let modes: Vec<&str> = series
        .iter()
        .map(|series| series["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, expected);
    for series in series {
        let points = series["points"].as_array().unwrap();
        let workers: Vec<u64> = points
            .iter()
            .map(|point| point["workers"].as_u64().unwrap())
            .collect();
        assert_eq!(workers, [1, 2], "{series}");
        for point in points {
            assert!(point["error"].is_null(), "{point}");
            assert!(point["speedup"].as_f64().unwrap() > 0.0, "{point}");
        }
    }
    let svg = parse_xml(&out.join("sweep.svg"));
    assert_eq!(svg.matches("class=\"ideal\"").count(), 1);
    assert_eq!(svg.matches("class=\"series\"").count(), expected.len());
    assert_eq!(svg.matches("class=\"point\"").count(), 2 * expected.len());
    let html = parse_xml(&out.join("sweep.html"));
    assert!(html.contains("class=\"sweep-chart\""));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn python_deli_processes_is_skipped_without_deli_and_runs_with_it() {
    if !python_present() {
        eprintln!("skipped: no python3 here");
        return;
    }
    let out = scratch("delipython");
    let run = |deli_python: &str| {
        let (output, _) = deli(
            &[
                "lab",
                "--quick",
                "--json",
                "--workload",
                "cpu",
                "--mode",
                "sequential,python-sequential,python-processes,python-deli-processes",
                "--deli-python",
                deli_python,
                "--out",
                out.to_str().unwrap(),
            ],
            QUICK_BOUND,
        );
        output
    };

    // No such interpreter: a skipped row with its reason, exit status 0,
    // and the other rows (and the recommendation) as usual.
    let output = run("/nonexistent/python3");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a skipped row failed the lab: {stderr}"
    );
    let skip_lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("python-deli-processes"))
        .collect();
    assert_eq!(skip_lines.len(), 1, "{stderr}");
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    let rows = document["results"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|row| row["mode"] == "python-deli-processes")
        .expect("the skipped row is reported");
    assert!(
        row["skipped"].as_str().unwrap().contains("import deli"),
        "{row}"
    );
    assert_eq!(row["error"], Value::Null);
    let processes = rows
        .iter()
        .find(|row| row["mode"] == "python-processes")
        .unwrap();
    assert_eq!(processes["correct"], true);
    assert_eq!(document["recommendations"].as_array().unwrap().len(), 1);
    parse_xml(&out.join("index.html"));

    // With a python that has deli: a measured row like python-processes.
    let Some(python) = deli_python() else {
        eprintln!("present case skipped: no target/py-venv or target/bench-venv imports deli");
        return;
    };
    let output = run(&python);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "deli lab failed: {stderr}");
    let document: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    let row = document["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["mode"] == "python-deli-processes")
        .cloned()
        .unwrap();
    assert_eq!(row["correct"], true, "{row}");
    assert_eq!(row["skipped"], Value::Null);
    assert!(row["wall_ms"].as_f64().unwrap() > 0.0);
    assert!(row["peak_parallelism"].as_u64().unwrap() >= 1);
    let _ = std::fs::remove_dir_all(&out);
}
