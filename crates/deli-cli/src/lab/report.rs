//! The lab's results as a text table, as JSON, and as one self-contained
//! HTML page (XHTML, so any XML parser reads it) with the timelines inline.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::measure::Row;
use super::modes::Mode;
use super::traced;
use super::workload::Workload;
use crate::timeline::svg_escape as escape;

/// How the lab was run.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub cores: usize,
    /// Threads or processes per pool, and async workers.
    pub workers: usize,
    /// Jobs per run.
    pub jobs: u64,
    #[serde(serialize_with = "millis", rename = "io_delay_ms")]
    pub io_delay: Duration,
    /// SHA-256 rounds per job's CPU part.
    pub rounds: u64,
    /// What those rounds were sized to take here.
    #[serde(serialize_with = "millis", rename = "cpu_job_ms")]
    pub cpu_job: Duration,
    /// Runs per (workload, mode); the median one is reported.
    pub repeat: u64,
    pub quick: bool,
}

fn millis<S: serde::Serializer>(delay: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(delay.as_secs_f64() * 1e3)
}

/// Sets each row's speedup over its baseline run of the same workload.
pub fn fill_speedups(rows: &mut [Row]) {
    let baselines: Vec<(Workload, Mode, f64)> = rows
        .iter()
        .filter(|row| row.correct && row.mode.baseline() == row.mode)
        .map(|row| (row.workload, row.mode, row.wall_ms))
        .collect();
    for row in rows.iter_mut().filter(|row| row.correct) {
        row.speedup = baselines
            .iter()
            .find(|(workload, mode, _)| *workload == row.workload && *mode == row.mode.baseline())
            .map(|(_, _, wall_ms)| wall_ms / row.wall_ms);
    }
}

#[derive(Serialize)]
struct Document<'a> {
    deli_version: &'static str,
    settings: &'a Settings,
    python: &'a str,
    timelines_from: &'static str,
    results: &'a [Row],
}

pub fn json(settings: &Settings, python: &str, rows: &[Row]) -> String {
    let document = Document {
        deli_version: env!("CARGO_PKG_VERSION"),
        settings,
        python,
        timelines_from: traced::SOURCE,
        results: rows,
    };
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}

fn describe(settings: &Settings) -> String {
    let repeat = match settings.repeat {
        1 => String::new(),
        n => format!("; each mode run {n} times, interleaved, the run of median wall time shown"),
    };
    format!(
        "{} jobs per run; I/O job: one TCP round trip to a loopback server that answers after {} ms; \
         CPU job: {} chained SHA-256 rounds (about {} ms here); {} cores, {} workers per pool{repeat}",
        settings.jobs,
        settings.io_delay.as_millis(),
        settings.rounds,
        settings.cpu_job.as_millis(),
        settings.cores,
        settings.workers
    )
}

fn speedup(row: &Row) -> String {
    row.speedup
        .map_or("-".to_owned(), |speedup| format!("{speedup:.2}x"))
}

fn outcome(row: &Row) -> String {
    match (&row.error, &row.note) {
        (Some(error), _) => format!("FAILED: {error}"),
        (None, Some(note)) => format!("ok; {note}"),
        (None, None) => "ok".to_owned(),
    }
}

/// The results as a plain text table.
pub fn table(settings: &Settings, python: &str, rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "deli lab: {}", describe(settings));
    let _ = writeln!(
        out,
        "{python}; Python rows' speedups are over python-sequential"
    );
    let _ = writeln!(
        out,
        "{:<8} {:<18} {:>10} {:>10} {:>8} {:>8} {:>5}  check",
        "workload", "mode", "wall ms", "CPU ms", "CPU/wall", "speedup", "peak"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<8} {:<18} {:>10.1} {:>10.1} {:>8.2} {:>8} {:>5}  {}",
            row.workload.name(),
            row.mode.name(),
            row.wall_ms,
            row.cpu_ms,
            row.cpu_per_wall,
            speedup(row),
            row.peak_parallelism,
            outcome(row)
        );
    }
    out
}

/// One self-contained XHTML page: settings, one table per workload, what
/// each mode shows, and every run's timeline inline.
pub fn html(
    settings: &Settings,
    python: &str,
    rows: &[Row],
    pictures: &[Option<String>],
) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>deli lab</h1>\n<p>{}.</p>\n<p>{}. Timelines come from {}. \
         Wall time runs from before a mode's threads, pools or runtime are built until they are torn down; \
         CPU time is user + system time of the lab and its reaped children over the same stretch \
         (Python measures its own run the same way). CPU/wall is how many cores were busy on average; \
         speedup is over <code>sequential</code> (Python rows: over <code>python-sequential</code>); \
         peak is the most jobs in flight at once.</p>",
        escape(&describe(settings)),
        escape(python),
        traced::SOURCE
    );
    let mut workloads: Vec<Workload> = rows.iter().map(|row| row.workload).collect();
    workloads.dedup();
    for workload in workloads {
        let _ = writeln!(
            body,
            "<h2>{} workload</h2>\n<table>\n<tr><th>mode</th><th>wall ms</th><th>CPU ms</th>\
             <th>CPU/wall</th><th>speedup</th><th>peak</th><th>check</th></tr>",
            workload.name()
        );
        for row in rows.iter().filter(|row| row.workload == workload) {
            let _ = writeln!(
                body,
                "<tr><td><a href=\"#{}\">{}</a></td><td>{:.1}</td><td>{:.1}</td><td>{:.2}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                anchor(row),
                escape(row.mode.name()),
                row.wall_ms,
                row.cpu_ms,
                row.cpu_per_wall,
                speedup(row),
                row.peak_parallelism,
                escape(&outcome(row))
            );
        }
        let _ = writeln!(body, "</table>");
    }
    let _ = writeln!(body, "<h2>What each mode shows</h2>\n<dl>");
    for mode in Mode::ALL {
        let _ = writeln!(
            body,
            "<dt><code>{}</code></dt><dd>{}</dd>",
            escape(mode.name()),
            escape(mode.lesson())
        );
    }
    let _ = writeln!(body, "</dl>\n<h2>Timelines</h2>");
    for (row, picture) in rows.iter().zip(pictures) {
        let _ = writeln!(
            body,
            "<h3 id=\"{}\">{} / {}</h3>",
            anchor(row),
            row.workload.name(),
            escape(row.mode.name())
        );
        if let Some(trace) = &row.trace {
            let _ = writeln!(
                body,
                "<p>The deli trace of this run: <a href=\"{0}\">{0}</a> \
                 (Chrome trace JSON: opens in Perfetto or chrome://tracing).</p>",
                escape(trace)
            );
        }
        match picture {
            Some(svg) => body.push_str(svg),
            None => {
                let _ = writeln!(body, "<p>{}</p>", escape(&outcome(row)));
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
         <meta charset=\"utf-8\"/>\n<title>deli lab</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}\n\
         td:first-child, th:first-child, td:last-child {{ text-align: left; }}\n\
         svg {{ display: block; margin: 0.5em 0 1.5em; }}\n\
         </style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
}

fn anchor(row: &Row) -> String {
    format!(
        "{}-{}",
        row.workload.name(),
        row.mode.name().replace('+', "-")
    )
}
