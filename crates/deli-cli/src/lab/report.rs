//! The lab's results as a text table, as JSON, and as one self-contained
//! HTML page (XHTML, so any XML parser reads it) with a speedup chart per
//! workload, the recommendations and the timelines inline; the same three
//! forms for `--sweep`. The page has no script but a layout self-check that
//! runs only when opened with `#check`.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::chart;
use super::measure::Row;
use super::modes::Mode;
use super::noise;
use super::sweep::{self, Sweep};
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
    /// SHA-256 rounds per job's CPU part on the Rust side.
    pub rounds: u64,
    /// The same for Python, calibrated by the interpreter itself so its
    /// CPU job takes as long as Rust's (`None` without Python).
    pub python_rounds: Option<u64>,
    /// What those rounds were sized to take here.
    #[serde(serialize_with = "millis", rename = "cpu_job_ms")]
    pub cpu_job: Duration,
    /// Runs per (workload, mode), interleaved; rows show their median.
    pub repeat: u64,
    pub quick: bool,
}

fn millis<S: serde::Serializer>(delay: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(delay.as_secs_f64() * 1e3)
}

#[derive(Serialize)]
struct Document<'a> {
    deli_version: &'static str,
    settings: &'a Settings,
    python: &'a str,
    timelines_from: &'static str,
    results: &'a [Row],
    recommendations: &'a [String],
}

pub fn json(settings: &Settings, python: &str, rows: &[Row], recommendations: &[String]) -> String {
    let document = Document {
        deli_version: env!("CARGO_PKG_VERSION"),
        settings,
        python,
        timelines_from: traced::SOURCE,
        results: rows,
        recommendations,
    };
    to_json(&document)
}

fn to_json(document: &impl Serialize) -> String {
    serde_json::to_string_pretty(document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}

/// The CPU job, in words: the rounds each side hashes.
fn cpu_job(settings: &Settings) -> String {
    match settings.python_rounds {
        Some(python) => format!(
            "{} chained SHA-256 rounds in Rust and {python} in Python, each calibrated once to about {} ms here",
            settings.rounds,
            settings.cpu_job.as_millis()
        ),
        None => format!(
            "{} chained SHA-256 rounds (calibrated once to about {} ms here)",
            settings.rounds,
            settings.cpu_job.as_millis()
        ),
    }
}

fn describe(settings: &Settings) -> String {
    format!(
        "{} jobs per run; I/O job: one TCP round trip to a loopback server that answers after {} ms; \
         CPU job: {}; {} cores, {} workers per pool",
        settings.jobs,
        settings.io_delay.as_millis(),
        cpu_job(settings),
        settings.cores,
        settings.workers
    )
}

/// How many runs each row summarises, in words.
fn runs_line(settings: &Settings) -> String {
    match (settings.repeat, settings.quick) {
        (1, true) => "--quick: one run per mode, so no spread and no noise check; \
                      the numbers are indicative only (drop --quick for medians of 3 runs)"
            .to_owned(),
        (1, false) => "one run per mode (--repeat 1), so no spread and no noise check".to_owned(),
        (n, _) => format!(
            "each mode run {n} times, interleaved (every mode once, then again); \
             figures are medians, (min–max) over the runs"
        ),
    }
}

fn speedup(row: &Row) -> String {
    row.speedup
        .map_or("-".to_owned(), |speedup| format!("{speedup:.2}x"))
}

fn speedup_range(row: &Row) -> String {
    match (row.speedup_min, row.speedup_max) {
        (Some(low), Some(high)) if row.runs > 1 => format!("{low:.2}–{high:.2}"),
        _ => String::new(),
    }
}

fn wall_range(row: &Row) -> String {
    if row.runs > 1 {
        format!("{:.1}–{:.1}", row.wall_ms_min, row.wall_ms_max)
    } else {
        String::new()
    }
}

fn outcome(row: &Row) -> String {
    if let Some(why) = &row.skipped {
        return format!("skipped: {why}");
    }
    let mut text = match (&row.error, &row.note) {
        (Some(error), _) => format!("FAILED: {error}"),
        (None, Some(note)) => format!("ok; {note}"),
        (None, None) => "ok".to_owned(),
    };
    text.push_str(&noise::summary(&row.flags));
    text
}

fn bracketed(range: String) -> String {
    if range.is_empty() {
        range
    } else {
        format!("({range})")
    }
}

/// The results as a plain text table, then the recommendations.
pub fn table(
    settings: &Settings,
    python: &str,
    rows: &[Row],
    recommendations: &[String],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "deli lab: {}", describe(settings));
    let _ = writeln!(
        out,
        "{python}; Python rows' speedups are over python-sequential"
    );
    let _ = writeln!(out, "{}", runs_line(settings));
    // As wide as the longest mode name of this run, so the columns line up
    // whichever modes ran (`python-deli-processes` is the longest).
    let mode_width = rows
        .iter()
        .map(|row| row.mode.name().len())
        .max()
        .unwrap_or(0)
        .max("mode".len());
    let _ = writeln!(
        out,
        "{:<8} {:<mode_width$} {:>8} {:<15} {:>8} {:>8} {:>7} {:<11} {:>4}  check",
        "workload", "mode", "wall ms", "", "CPU ms", "CPU/wall", "speedup", "", "peak"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<8} {:<mode_width$} {:>8.1} {:<15} {:>8.1} {:>8.2} {:>7} {:<11} {:>4}  {}",
            row.workload.name(),
            row.mode.name(),
            row.wall_ms,
            bracketed(wall_range(row)),
            row.cpu_ms,
            row.cpu_per_wall,
            speedup(row),
            bracketed(speedup_range(row)),
            row.peak_parallelism,
            outcome(row)
        );
    }
    if !recommendations.is_empty() {
        let _ = writeln!(
            out,
            "\nrecommendations for this machine (from the medians above):"
        );
        for line in recommendations {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// Counts the report's chart elements and compares the page's width with
/// the window's when the page is opened with `#check` (for the browser
/// test); otherwise it does nothing. CDATA keeps the page well-formed XML.
const LAYOUT_CHECK: &str = "<script>//<![CDATA[
(function () {
  if (window.location.hash !== '#check') { return; }
  var count = function (selector) { return document.querySelectorAll(selector).length; };
  var widest = 0;
  document.querySelectorAll('svg, table').forEach(function (element) {
    widest = Math.max(widest, element.getBoundingClientRect().right);
  });
  var report = {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    widestRight: Math.ceil(widest),
    speedupCharts: count('svg.speedup-chart'),
    bars: count('svg.speedup-chart .bar'),
    whiskers: count('svg.speedup-chart .whisker'),
    sweepCharts: count('svg.sweep-chart'),
    sweepPoints: count('svg.sweep-chart .point'),
    idealLines: count('svg.sweep-chart .ideal'),
    timelines: count('svg') - count('svg.speedup-chart') - count('svg.sweep-chart'),
    recommendations: count('#recommendations li')
  };
  var out = document.createElement('pre');
  out.id = 'layout-check';
  out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
})();
//]]></script>
";

/// A self-contained XHTML page around `body`.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
         <meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width\"/>\n\
         <title>{}</title>\n<style>\n\
         body {{ font-family: sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}\n\
         td:first-child, th:first-child, td:last-child, th:last-child {{ text-align: left; }}\n\
         td.flagged {{ color: #b00020; }}\n\
         table.results td:not(:last-child) {{ white-space: nowrap; }}\n\
         svg {{ display: block; margin: 0.5em 0 1.5em; max-width: 100%; height: auto; }}\n\
         </style>\n</head>\n<body>\n{body}{LAYOUT_CHECK}</body>\n</html>\n",
        escape(title)
    )
}

/// One self-contained XHTML page: settings, per workload its speedup chart
/// and table, the recommendations, what each mode shows, and every run's
/// timeline inline.
pub fn html(
    settings: &Settings,
    python: &str,
    rows: &[Row],
    pictures: &[Option<String>],
    recommendations: &[String],
) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>deli lab</h1>\n<p>{}.</p>\n<p>{}. Timelines come from {}. \
         Wall time runs from before a mode's threads, pools or runtime are built until they are torn down; \
         CPU time is user + system time of the lab and its reaped children over the same stretch \
         (Python measures its own run the same way). CPU/wall is how many cores were busy on average; \
         speedup is the baseline's median wall time over the row's (<code>sequential</code>; Python rows: \
         <code>python-sequential</code>), and its range is over the row's slowest and fastest run; \
         peak is the most jobs in flight at once.</p>\n<p>{}.</p>",
        escape(&describe(settings)),
        escape(python),
        traced::SOURCE,
        escape(&runs_line(settings))
    );
    let mut workloads: Vec<Workload> = rows.iter().map(|row| row.workload).collect();
    workloads.dedup();
    for workload in workloads {
        let of_workload: Vec<&Row> = rows.iter().filter(|row| row.workload == workload).collect();
        let _ = writeln!(body, "<h2>{} workload</h2>", workload.name());
        body.push_str(&chart::speedup_bars(workload, &of_workload, settings.cores));
        let _ = writeln!(
            body,
            "<table class=\"results\">\n<tr><th>mode</th><th>wall ms</th><th>min–max</th><th>CPU ms</th>\
             <th>CPU/wall</th><th>speedup</th><th>min–max</th><th>peak</th><th>check</th></tr>"
        );
        for row in of_workload {
            let _ = writeln!(
                body,
                "<tr><td><a href=\"#{}\">{}</a></td><td>{:.1}</td><td>{}</td><td>{:.1}</td><td>{:.2}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
                anchor(row),
                escape(row.mode.name()),
                row.wall_ms,
                wall_range(row),
                row.cpu_ms,
                row.cpu_per_wall,
                speedup(row),
                speedup_range(row),
                row.peak_parallelism,
                if row.flags.is_empty() && row.correct {
                    ""
                } else {
                    " class=\"flagged\""
                },
                escape(&outcome(row))
            );
        }
        let _ = writeln!(body, "</table>");
    }
    if !recommendations.is_empty() {
        let _ = writeln!(
            body,
            "<h2>Recommendations for this machine</h2>\n<p>Read off the medians above.</p>\n\
             <ul id=\"recommendations\">"
        );
        for line in recommendations {
            let _ = writeln!(body, "<li>{}</li>", escape(line));
        }
        let _ = writeln!(body, "</ul>");
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
    let _ = writeln!(
        body,
        "</dl>\n<h2>Timelines</h2>\n<p>Of each mode's median run.</p>"
    );
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
    page("deli lab", &body)
}

#[derive(Serialize)]
struct SweepDocument<'a> {
    deli_version: &'static str,
    settings: &'a Settings,
    python: &'a str,
    sweep: &'a Sweep,
}

/// The sweep as JSON.
pub fn sweep_json(settings: &Settings, python: &str, sweep: &Sweep) -> String {
    to_json(&SweepDocument {
        deli_version: env!("CARGO_PKG_VERSION"),
        settings,
        python,
        sweep,
    })
}

fn sweep_describe(settings: &Settings, sweep: &Sweep) -> String {
    format!(
        "cpu workload, 1 to {} workers: {} jobs per run, CPU job: {}; {} cores; {}",
        sweep.max_workers,
        settings.jobs,
        cpu_job(settings),
        settings.cores,
        runs_line(settings)
    )
}

/// The sweep as text: what ran, then the speedups (over `sequential`;
/// `python-processes` over `python-sequential`).
pub fn sweep_table(settings: &Settings, python: &str, sweep: &Sweep) -> String {
    format!(
        "deli lab --sweep: {}\n{python}; median speedup over sequential (python-processes: over \
         python-sequential), (min–max) over the runs\n{}",
        sweep_describe(settings, sweep),
        sweep::table(sweep)
    )
}

/// The sweep as a page: the chart, then the same numbers as a table.
pub fn sweep_html(settings: &Settings, python: &str, sweep: &Sweep) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>deli lab --sweep</h1>\n<p>{}.</p>\n<p>{}. Parallelism needs cores: each line is a mode's \
         median speedup over its baseline (<code>sequential</code>; <code>python-processes</code>: \
         <code>python-sequential</code>) with n workers, the dashed line what n workers would give \
         if nothing else mattered.</p>",
        escape(&sweep_describe(settings, sweep)),
        escape(python)
    );
    body.push_str(&sweep::svg(sweep));
    let _ = write!(body, "<table>\n<tr><th>workers</th><th>ideal</th>");
    for series in &sweep.series {
        let _ = write!(body, "<th>{}</th>", escape(series.mode.name()));
    }
    let _ = writeln!(body, "</tr>");
    for workers in 1..=sweep.max_workers {
        let _ = write!(body, "<tr><td>{workers}</td><td>{workers}.00x</td>");
        for series in &sweep.series {
            let text = series
                .points
                .get(workers - 1)
                .map_or("-".to_owned(), |point| {
                    let mut text = match (point.speedup, point.speedup_min, point.speedup_max) {
                        (Some(median), Some(low), Some(high)) if point.runs > 1 => {
                            format!("{median:.2}x ({low:.2}–{high:.2})")
                        }
                        (Some(median), _, _) => format!("{median:.2}x"),
                        (None, _, _) => format!("failed: {}", point.error.as_deref().unwrap_or("")),
                    };
                    for flag in &point.flags {
                        text.push_str("; ");
                        text.push_str(flag);
                    }
                    text
                });
            let _ = write!(body, "<td>{}</td>", escape(&text));
        }
        let _ = writeln!(body, "</tr>");
    }
    let _ = writeln!(body, "</table>");
    page("deli lab --sweep", &body)
}

fn anchor(row: &Row) -> String {
    format!(
        "{}-{}",
        row.workload.name(),
        row.mode.name().replace('+', "-")
    )
}
