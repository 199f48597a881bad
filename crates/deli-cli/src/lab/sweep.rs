//! `deli lab --sweep`: the guides' "parallelism needs cores" as a curve.
//! The cpu workload runs with 1, 2, … N workers in each parallel mode
//! (`threads` as N plain threads sharing the jobs, `thread-pool`,
//! `process-pool`, and `python-processes` where Python is present), every
//! point several times, interleaved with its baseline's runs, and each
//! point's median speedup over its baseline's median is drawn against the
//! ideal line (N workers, N times faster).
//!
//! Uses the lab's modes, checks and measurements ([`super::modes`],
//! [`super::measure`]), its noise rules ([`super::noise`]) and charts
//! ([`super::chart`]); the caller runs each (mode, workers) pair.

use std::fmt::Write;

use serde::Serialize;

use super::chart;
use super::measure::{check, median, wall_ms};
use super::modes::{Mode, RunOutcome};
use super::noise::{BOUND_SLACK, SPREAD_LIMIT, STARVED_BELOW};

/// The sweep's modes, in the order they are run and drawn.
pub const MODES: [Mode; 4] = [
    Mode::Threads,
    Mode::ThreadPool,
    Mode::ProcessPool,
    Mode::PythonProcesses,
];

/// The most workers a sweep may go up to.
pub const MAX_WORKERS: usize = 64;

/// One mode at one worker count (or a baseline, at one worker).
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub workers: usize,
    pub runs: usize,
    /// Median, fastest and slowest run.
    pub wall_ms: f64,
    pub wall_ms_min: f64,
    pub wall_ms_max: f64,
    /// The median of the runs' CPU time over wall time.
    pub cpu_per_wall: f64,
    /// Over the baseline's median; `None` when this point or its baseline failed.
    pub speedup: Option<f64>,
    pub speedup_min: Option<f64>,
    pub speedup_max: Option<f64>,
    pub error: Option<String>,
    /// Plain sentences, as on the lab's rows.
    pub flags: Vec<String>,
}

/// One mode's points, 1 to N workers.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub mode: Mode,
    pub baseline: Mode,
    pub points: Vec<Point>,
}

/// A finished sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    pub max_workers: usize,
    pub cores: usize,
    pub runs: usize,
    pub baselines: Vec<(Mode, Point)>,
    pub series: Vec<Series>,
}

impl Sweep {
    /// Whether every run of every point gave the right values.
    pub fn all_correct(&self) -> bool {
        self.baselines
            .iter()
            .map(|(_, point)| point)
            .chain(self.series.iter().flat_map(|series| &series.points))
            .all(|point| point.error.is_none())
    }
}

/// What the sweep needs from the lab: a run of `mode` with `workers`
/// workers, and the values a run of `mode`'s family must produce.
pub trait Runner {
    fn run(&mut self, mode: Mode, workers: usize) -> Result<RunOutcome, String>;
    fn expected(&self, mode: Mode) -> &[String];
    /// Called before each run, for progress.
    fn starting(&mut self, mode: Mode, workers: usize, round: usize);
}

/// Runs the sweep of `modes` (a subset of [`MODES`]) from 1 to
/// `max_workers`, `runs` rounds, each round every baseline then every
/// (workers, mode) pair, so a noisy stretch hits every point alike.
pub fn run(
    runner: &mut dyn Runner,
    modes: &[Mode],
    max_workers: usize,
    cores: usize,
    runs: usize,
) -> Sweep {
    let mut baseline_modes: Vec<Mode> = modes.iter().map(|mode| mode.baseline()).collect();
    baseline_modes.dedup();
    let mut baseline_runs: Vec<Vec<Result<Timing, String>>> =
        vec![Vec::new(); baseline_modes.len()];
    let mut point_runs: Vec<Vec<Vec<Result<Timing, String>>>> =
        vec![vec![Vec::new(); max_workers]; modes.len()];
    for round in 0..runs {
        for (mode, walls) in baseline_modes.iter().zip(&mut baseline_runs) {
            runner.starting(*mode, 1, round);
            walls.push(checked(runner, *mode, 1));
        }
        for workers in 1..=max_workers {
            for (mode, points) in modes.iter().zip(&mut point_runs) {
                runner.starting(*mode, workers, round);
                points[workers - 1].push(checked(runner, *mode, workers));
            }
        }
    }
    let baselines: Vec<(Mode, Point)> = baseline_modes
        .iter()
        .zip(&baseline_runs)
        .map(|(mode, walls)| (*mode, point(1, walls, None, cores)))
        .collect();
    let series = modes
        .iter()
        .zip(&point_runs)
        .map(|(mode, points)| {
            let baseline = baselines
                .iter()
                .find(|(baseline, _)| *baseline == mode.baseline())
                .filter(|(_, point)| point.error.is_none())
                .map(|(_, point)| point.wall_ms);
            Series {
                mode: *mode,
                baseline: mode.baseline(),
                points: points
                    .iter()
                    .enumerate()
                    .map(|(index, walls)| point(index + 1, walls, baseline, cores))
                    .collect(),
            }
        })
        .collect();
    Sweep {
        max_workers,
        cores,
        runs,
        baselines,
        series,
    }
}

/// One run's wall time in ms and CPU time over wall time.
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall_ms: f64,
    cpu_per_wall: f64,
}

/// One run's timing, or why it does not count.
fn checked(runner: &mut dyn Runner, mode: Mode, workers: usize) -> Result<Timing, String> {
    let outcome = runner.run(mode, workers)?;
    match check(&outcome.outputs, runner.expected(mode)) {
        None => {
            let wall_ms = wall_ms(&outcome);
            Ok(Timing {
                wall_ms,
                cpu_per_wall: outcome.cpu.as_secs_f64() * 1e3 / wall_ms,
            })
        }
        Some(error) => Err(error),
    }
}

fn point(
    workers: usize,
    timings: &[Result<Timing, String>],
    baseline: Option<f64>,
    cores: usize,
) -> Point {
    let error = timings.iter().find_map(|run| run.as_ref().err().cloned());
    let timings: Vec<Timing> = timings
        .iter()
        .filter_map(|run| run.as_ref().ok().copied())
        .collect();
    let walls: Vec<f64> = timings.iter().map(|timing| timing.wall_ms).collect();
    let ratios: Vec<f64> = timings.iter().map(|timing| timing.cpu_per_wall).collect();
    let cpu_per_wall = median(&ratios);
    let wall_ms = median(&walls);
    let wall_ms_min = walls.iter().copied().fold(f64::INFINITY, f64::min);
    let wall_ms_max = walls.iter().copied().fold(0.0, f64::max);
    let ok = error.is_none() && !walls.is_empty();
    let baseline = baseline.filter(|_| ok);
    let mut flags = Vec::new();
    if ok && walls.len() > 1 && (wall_ms_max - wall_ms_min) / wall_ms > SPREAD_LIMIT {
        flags.push(format!(
            "noisy: its {} runs took {wall_ms_min:.0}–{wall_ms_max:.0} ms; rerun on a quiet machine",
            walls.len()
        ));
    }
    let speedup = baseline.map(|baseline| baseline / wall_ms);
    let bound = workers.min(cores.max(1));
    if ok && cpu_per_wall < bound as f64 * STARVED_BELOW {
        flags.push(format!(
            "starved: kept {cpu_per_wall:.2} cores busy where it could keep {bound} busy; \
             rerun on a quiet machine"
        ));
    }
    if let Some(speedup) = speedup.filter(|speedup| *speedup > bound as f64 * BOUND_SLACK) {
        flags.push(format!(
            "impossible: {speedup:.2}x with {bound} core{} in use; rerun on a quiet machine",
            if bound == 1 { "" } else { "s" }
        ));
    }
    Point {
        workers,
        runs: walls.len(),
        wall_ms,
        wall_ms_min: if ok { wall_ms_min } else { 0.0 },
        wall_ms_max,
        cpu_per_wall,
        speedup,
        speedup_min: baseline.map(|baseline| baseline / wall_ms_max),
        speedup_max: baseline.map(|baseline| baseline / wall_ms_min),
        error,
        flags,
    }
}

fn cell(point: &Point) -> String {
    match (point.speedup, point.speedup_min, point.speedup_max) {
        (Some(median), Some(low), Some(high)) if point.runs > 1 => {
            format!(
                "{median:.2}x ({low:.2}–{high:.2}){}",
                if point.flags.is_empty() { "" } else { " *" }
            )
        }
        (Some(median), _, _) => {
            format!(
                "{median:.2}x{}",
                if point.flags.is_empty() { "" } else { " *" }
            )
        }
        (None, _, _) => "failed".to_owned(),
    }
}

/// The sweep as a text table: one line per worker count, the ideal first;
/// flagged points marked `*` and explained underneath.
pub fn table(sweep: &Sweep) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:<8} {:>6}", "workers", "ideal");
    for series in &sweep.series {
        let _ = write!(out, "  {:<22}", series.mode.name());
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    for workers in 1..=sweep.max_workers {
        let _ = write!(out, "{workers:<8} {:>6}", format!("{:.2}x", workers as f64));
        for series in &sweep.series {
            let text = series.points.get(workers - 1).map_or("-".to_owned(), cell);
            let _ = write!(out, "  {text:<22}");
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    for (mode, point) in &sweep.baselines {
        let _ = writeln!(
            out,
            "baseline {}: {:.1} ms median ({:.1}–{:.1} ms over {} run{}){}",
            mode.name(),
            point.wall_ms,
            point.wall_ms_min,
            point.wall_ms_max,
            point.runs,
            if point.runs == 1 { "" } else { "s" },
            point
                .error
                .as_ref()
                .map_or(String::new(), |error| format!(" FAILED: {error}"))
        );
        for flag in &point.flags {
            let _ = writeln!(out, "  * baseline {}: {flag}", mode.name());
        }
    }
    for series in &sweep.series {
        for point in &series.points {
            for flag in &point.flags {
                let _ = writeln!(
                    out,
                    "  * {} with {} worker{}: {flag}",
                    series.mode.name(),
                    point.workers,
                    if point.workers == 1 { "" } else { "s" }
                );
            }
            if let Some(error) = &point.error {
                let _ = writeln!(
                    out,
                    "  {} with {} workers FAILED: {error}",
                    series.mode.name(),
                    point.workers
                );
            }
        }
    }
    out
}

/// The sweep's chart (see [`chart::sweep_lines`]).
pub fn svg(sweep: &Sweep) -> String {
    let lines: Vec<chart::Line> = sweep
        .series
        .iter()
        .map(|series| chart::Line {
            name: series.mode.name().to_owned(),
            python: series.mode.is_python(),
            points: series
                .points
                .iter()
                .filter_map(|point| {
                    Some((
                        point.workers,
                        point.speedup?,
                        point.speedup_min?,
                        point.speedup_max?,
                    ))
                })
                .collect(),
        })
        .collect();
    chart::sweep_lines(&lines, sweep.max_workers, sweep.cores)
}

#[cfg(test)]
mod tests {
    use super::super::workload::{JobOutput, Span, SpanState};
    use super::*;

    /// Runs that take `base / min(workers, cores)` ms, with right values,
    /// except `python-processes` at 2 workers, which answers wrong.
    struct Pretend {
        expected: Vec<String>,
        order: Vec<(Mode, usize)>,
    }

    impl Runner for Pretend {
        fn run(&mut self, mode: Mode, workers: usize) -> Result<RunOutcome, String> {
            self.order.push((mode, workers));
            let wall_ms = 400 / workers.min(2) as u64;
            let value = if mode == Mode::PythonProcesses && workers == 2 {
                "wrong"
            } else {
                "right"
            };
            Ok(RunOutcome {
                outputs: vec![JobOutput {
                    job: 0,
                    value: value.into(),
                    spans: vec![Span {
                        lane: "main".into(),
                        state: SpanState::Running,
                        start_ns: 0,
                        end_ns: 1,
                    }],
                }],
                start_ns: 0,
                end_ns: wall_ms * 1_000_000,
                // As busy as the workers can keep the two cores.
                cpu: std::time::Duration::from_millis(wall_ms * workers.min(2) as u64),
                note: None,
                trace_json: None,
            })
        }
        fn expected(&self, _: Mode) -> &[String] {
            &self.expected
        }
        fn starting(&mut self, _: Mode, _: usize, _: usize) {}
    }

    #[test]
    fn every_point_is_run_in_turn_and_measured_against_its_baseline() {
        let mut runner = Pretend {
            expected: vec!["right".into()],
            order: Vec::new(),
        };
        let sweep = run(&mut runner, &MODES, 3, 2, 2);
        // Round 1 runs both baselines, then every pair, before round 2.
        assert_eq!(runner.order.len(), 2 * (2 + 3 * 4));
        assert_eq!(runner.order[0], (Mode::Sequential, 1));
        assert_eq!(runner.order[1], (Mode::PythonSequential, 1));
        assert_eq!(runner.order[2], (Mode::Threads, 1));
        assert_eq!(runner.order[14], (Mode::Sequential, 1));
        let threads = &sweep.series[0];
        let speedups: Vec<f64> = threads.points.iter().map(|p| p.speedup.unwrap()).collect();
        assert_eq!(speedups, [1.0, 2.0, 2.0]);
        assert!(threads.points.iter().all(|point| point.flags.is_empty()));
        assert_eq!(threads.points[1].cpu_per_wall, 2.0);
        let python = &sweep.series[3];
        assert_eq!(python.baseline, Mode::PythonSequential);
        assert!(python.points[1].error.is_some());
        assert_eq!(python.points[1].speedup, None);
        assert!(!sweep.all_correct());
        let table = table(&sweep);
        assert!(
            table.contains("python-processes with 2 workers FAILED"),
            "{table}"
        );
        let second = table.lines().nth(2).unwrap();
        assert!(
            second.starts_with("2         2.00x  2.00x (2.00–2.00)"),
            "{table}"
        );
    }
}
