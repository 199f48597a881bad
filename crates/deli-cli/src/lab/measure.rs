//! From a run's outcome to a row of numbers: results checked against the
//! expected values, peak parallelism from the jobs' own start and end
//! times, and the run drawn as a timeline.

use std::collections::BTreeMap;

use serde::Serialize;

use super::modes::{Mode, RunOutcome};
use super::workload::{JobOutput, SpanState, Workload};
use crate::timeline::{self, natural_key, Bar, Lane, State, Timeline};

/// One (workload, mode) pair, as reported: the median of its runs, with
/// their spread.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub workload: Workload,
    pub mode: Mode,
    /// `deli` or `python`.
    pub family: &'static str,
    pub jobs: u64,
    /// How many runs the figures summarise.
    pub runs: usize,
    /// The median run's wall time, and the fastest and slowest run's.
    pub wall_ms: f64,
    pub wall_ms_min: f64,
    pub wall_ms_max: f64,
    /// Every run's wall time, in the order they ran.
    pub wall_ms_runs: Vec<f64>,
    /// When each run started (`CLOCK_MONOTONIC` ns; shows the interleaving).
    pub run_starts_ns: Vec<u64>,
    /// The median of the runs' CPU times.
    pub cpu_ms: f64,
    /// The median of the runs' CPU time over wall time: how many cores
    /// were busy on average.
    pub cpu_per_wall: f64,
    /// The baseline's median wall time over this row's (`sequential` for
    /// deli's modes, `python-sequential` for Python's); `None` without a
    /// baseline. The min and max are the baseline's median over this row's
    /// slowest and fastest run.
    pub speedup: Option<f64>,
    pub speedup_min: Option<f64>,
    pub speedup_max: Option<f64>,
    /// The most jobs in flight at once (started and not yet ended) in the
    /// median run.
    pub peak_parallelism: usize,
    /// Whether every job's value matched what was expected, in every run.
    pub correct: bool,
    pub error: Option<String>,
    /// Why the row was not run at all (not a failure: e.g. no python can
    /// import `deli`); its figures are empty and `correct` is false.
    pub skipped: Option<String>,
    pub note: Option<String>,
    /// Why these numbers should not be taken at face value, one plain
    /// sentence each (noise, or a figure no run of this mode can reach).
    pub flags: Vec<String>,
    /// File names in the report directory.
    pub svg: Option<String>,
    pub trace: Option<String>,
}

impl Row {
    /// A pair that could not be measured.
    pub fn failed(workload: Workload, mode: Mode, jobs: u64, error: String) -> Row {
        Row {
            workload,
            mode,
            family: family(mode),
            jobs,
            runs: 0,
            wall_ms: 0.0,
            wall_ms_min: 0.0,
            wall_ms_max: 0.0,
            wall_ms_runs: Vec::new(),
            run_starts_ns: Vec::new(),
            cpu_ms: 0.0,
            cpu_per_wall: 0.0,
            speedup: None,
            speedup_min: None,
            speedup_max: None,
            peak_parallelism: 0,
            correct: false,
            error: Some(error),
            skipped: None,
            note: None,
            flags: Vec::new(),
            svg: None,
            trace: None,
        }
    }

    /// A pair that was deliberately not run, with one line of why.
    pub fn skipped(workload: Workload, mode: Mode, jobs: u64, why: String) -> Row {
        Row {
            error: None,
            skipped: Some(why),
            ..Row::failed(workload, mode, jobs, String::new())
        }
    }

    /// Summarises `outcomes` (at least one run) and checks every run against
    /// `expected` (one value per job); the row's peak and note come from
    /// `shown`, the run drawn in the report ([`shown_run`]).
    pub fn measure(
        workload: Workload,
        mode: Mode,
        outcomes: &[RunOutcome],
        shown: usize,
        expected: &[String],
    ) -> Row {
        let walls: Vec<f64> = outcomes.iter().map(wall_ms).collect();
        let cpus: Vec<f64> = outcomes
            .iter()
            .map(|outcome| outcome.cpu.as_secs_f64() * 1e3)
            .collect();
        let ratios: Vec<f64> = cpus
            .iter()
            .zip(&walls)
            .map(|(cpu, wall)| cpu / wall)
            .collect();
        let error = outcomes.iter().enumerate().find_map(|(run, outcome)| {
            check(&outcome.outputs, expected).map(|error| match outcomes.len() {
                1 => error,
                _ => format!("run {}: {error}", run + 1),
            })
        });
        let shown = outcomes.get(shown).or(outcomes.first());
        Row {
            workload,
            mode,
            family: family(mode),
            jobs: expected.len() as u64,
            runs: outcomes.len(),
            wall_ms: median(&walls),
            wall_ms_min: walls.iter().copied().fold(f64::INFINITY, f64::min),
            wall_ms_max: walls.iter().copied().fold(0.0, f64::max),
            wall_ms_runs: walls.clone(),
            run_starts_ns: outcomes.iter().map(|outcome| outcome.start_ns).collect(),
            cpu_ms: median(&cpus),
            cpu_per_wall: median(&ratios),
            speedup: None,
            speedup_min: None,
            speedup_max: None,
            peak_parallelism: shown.map_or(0, |outcome| peak_in_flight(&outcome.outputs)),
            correct: error.is_none(),
            error,
            skipped: None,
            note: shown.and_then(|outcome| outcome.note.clone()),
            flags: Vec::new(),
            svg: None,
            trace: None,
        }
    }
}

/// A run's wall time in milliseconds (at least a nanosecond).
pub fn wall_ms(outcome: &RunOutcome) -> f64 {
    outcome.end_ns.saturating_sub(outcome.start_ns).max(1) as f64 / 1e6
}

/// The median of `values` (the mean of the middle two for an even count);
/// 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Which run to draw: the first with a wrong value if any (a wrong answer
/// is never outvoted), else the run of median wall time.
pub fn shown_run(outcomes: &[RunOutcome], expected: &[String]) -> usize {
    if let Some(wrong) = outcomes
        .iter()
        .position(|outcome| check(&outcome.outputs, expected).is_some())
    {
        return wrong;
    }
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    order.sort_by(|a, b| wall_ms(&outcomes[*a]).total_cmp(&wall_ms(&outcomes[*b])));
    order.get(order.len() / 2).copied().unwrap_or(0)
}

fn family(mode: Mode) -> &'static str {
    if mode.is_python() {
        "python"
    } else {
        "deli"
    }
}

/// What is wrong with `outputs`, if anything: one value per job, each as expected.
pub fn check(outputs: &[JobOutput], expected: &[String]) -> Option<String> {
    if outputs.len() != expected.len() {
        return Some(format!(
            "{} results for {} jobs",
            outputs.len(),
            expected.len()
        ));
    }
    let mut seen = vec![false; expected.len()];
    for output in outputs {
        let Some(want) = usize::try_from(output.job)
            .ok()
            .and_then(|job| expected.get(job))
        else {
            return Some(format!("a result for unknown job {}", output.job));
        };
        if &output.value != want {
            return Some(format!(
                "job {}: got {:?}, expected {want:?}",
                output.job, output.value
            ));
        }
        seen[output.job as usize] = true;
    }
    seen.iter()
        .position(|seen| !seen)
        .map(|job| format!("no result for job {job}"))
}

/// The most jobs between their first span's start and last span's end at
/// any one time.
pub fn peak_in_flight(outputs: &[JobOutput]) -> usize {
    let mut edges: Vec<(u64, i32)> = Vec::new();
    for output in outputs {
        let start = output.spans.iter().map(|span| span.start_ns).min();
        let end = output.spans.iter().map(|span| span.end_ns).max();
        if let (Some(start), Some(end)) = (start, end) {
            edges.push((start, 1));
            edges.push((end, -1));
        }
    }
    // At equal times an end comes before a start: touching is not overlapping.
    edges.sort_unstable();
    let mut running = 0i32;
    let mut peak = 0i32;
    for (_, step) in edges {
        running += step;
        peak = peak.max(running);
    }
    usize::try_from(peak).unwrap_or(0)
}

/// The run drawn from the jobs' own spans: one lane per thread or process.
pub fn job_timeline(title: &str, outcome: &RunOutcome) -> Timeline {
    let mut lanes: BTreeMap<String, Lane> = BTreeMap::new();
    for output in &outcome.outputs {
        for span in &output.spans {
            let lane = lanes.entry(span.lane.clone()).or_insert_with(|| Lane {
                name: span.lane.clone(),
                ..Lane::default()
            });
            lane.bars.push(Bar {
                start_ns: span.start_ns.saturating_sub(outcome.start_ns),
                end_ns: span.end_ns.saturating_sub(outcome.start_ns),
                state: match span.state {
                    SpanState::Running => State::Running,
                    SpanState::Waiting => State::Waiting,
                },
                label: format!("job {}", output.job),
            });
        }
    }
    let mut lanes: Vec<Lane> = lanes.into_values().collect();
    lanes.sort_by_key(|lane| natural_key(&lane.name));
    Timeline {
        title: title.to_owned(),
        lanes,
    }
}

/// The picture of a run: the jobs' own view, then deli's trace if taken.
pub fn run_svg(workload: Workload, mode: Mode, outcome: &RunOutcome) -> String {
    let mut panels = vec![job_timeline(
        &format!(
            "{} / {}: jobs as they saw themselves (Running = hashing, Waiting = network or pool)",
            workload.name(),
            mode.name()
        ),
        outcome,
    )];
    if let Some(json) = &outcome.trace_json {
        match timeline::chrome::parse(json, "deli::trace of the same run") {
            Ok(panel) => panels.push(panel),
            Err(error) => eprintln!("deli lab: cannot read the run's trace: {error}"),
        }
    }
    timeline::to_svg(&panels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::workload::Span;

    fn job(job: u64, start_ns: u64, end_ns: u64) -> JobOutput {
        JobOutput {
            job,
            value: String::new(),
            spans: vec![Span {
                lane: "main".into(),
                state: SpanState::Running,
                start_ns,
                end_ns,
            }],
        }
    }

    fn outcome(wall_ms: u64, value: &str) -> RunOutcome {
        let mut output = job(0, 0, 1);
        output.value = value.into();
        RunOutcome {
            outputs: vec![output],
            start_ns: 0,
            end_ns: wall_ms * 1_000_000,
            cpu: std::time::Duration::from_millis(wall_ms / 2),
            note: None,
            trace_json: None,
        }
    }

    #[test]
    fn a_row_is_the_median_of_its_runs_with_their_spread() {
        let expected = vec!["a".to_owned()];
        let runs = [outcome(300, "a"), outcome(100, "a"), outcome(200, "a")];
        let shown = shown_run(&runs, &expected);
        assert_eq!(shown, 2, "the 200 ms run is the median one");
        let row = Row::measure(Workload::Cpu, Mode::Threads, &runs, shown, &expected);
        assert!(row.correct);
        assert_eq!(row.runs, 3);
        assert_eq!(
            (row.wall_ms, row.wall_ms_min, row.wall_ms_max),
            (200.0, 100.0, 300.0)
        );
        assert_eq!(row.wall_ms_runs, [300.0, 100.0, 200.0]);
        assert_eq!(row.cpu_ms, 100.0);
        assert!((row.cpu_per_wall - 0.5).abs() < 1e-9);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
    }

    #[test]
    fn one_wrong_run_fails_the_row_and_is_the_one_shown() {
        let expected = vec!["a".to_owned()];
        let runs = [outcome(100, "a"), outcome(200, "b"), outcome(300, "a")];
        assert_eq!(shown_run(&runs, &expected), 1);
        let row = Row::measure(Workload::Cpu, Mode::Threads, &runs, 1, &expected);
        assert!(!row.correct);
        assert!(row.error.unwrap().starts_with("run 2: job 0"));
    }

    #[test]
    fn peak_counts_overlap_not_touching() {
        assert_eq!(peak_in_flight(&[job(0, 0, 10), job(1, 10, 20)]), 1);
        assert_eq!(
            peak_in_flight(&[job(0, 0, 10), job(1, 5, 20), job(2, 6, 7)]),
            3
        );
        assert_eq!(peak_in_flight(&[]), 0);
    }

    #[test]
    fn wrong_or_missing_values_are_caught() {
        let expected = vec!["a".to_owned(), "b".to_owned()];
        let mut outputs = vec![job(0, 0, 1), job(1, 0, 1)];
        outputs[0].value = "a".into();
        outputs[1].value = "b".into();
        assert_eq!(check(&outputs, &expected), None);
        outputs[1].value = "x".into();
        assert!(check(&outputs, &expected).unwrap().starts_with("job 1"));
        outputs[1] = outputs[0].clone();
        assert_eq!(check(&outputs, &expected).unwrap(), "no result for job 1");
    }
}
