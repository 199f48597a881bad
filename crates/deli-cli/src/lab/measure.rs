//! From a run's outcome to a row of numbers: results checked against the
//! expected values, peak parallelism from the jobs' own start and end
//! times, and the run drawn as a timeline.

use std::collections::BTreeMap;

use serde::Serialize;

use super::modes::{Mode, RunOutcome};
use super::workload::{JobOutput, SpanState, Workload};
use crate::timeline::{self, natural_key, Bar, Lane, State, Timeline};

/// One (workload, mode) run, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub workload: Workload,
    pub mode: Mode,
    /// `deli` or `python`.
    pub family: &'static str,
    pub jobs: u64,
    pub wall_ms: f64,
    pub cpu_ms: f64,
    /// CPU time over wall time: how many cores were busy on average.
    pub cpu_per_wall: f64,
    /// The baseline's wall time over this run's (`sequential` for deli's
    /// modes, `python-sequential` for Python's); `None` without a baseline.
    pub speedup: Option<f64>,
    /// The most jobs in flight at once (started and not yet ended).
    pub peak_parallelism: usize,
    /// Whether every job's value matched what was expected.
    pub correct: bool,
    pub error: Option<String>,
    pub note: Option<String>,
    /// File names in the report directory.
    pub svg: Option<String>,
    pub trace: Option<String>,
}

impl Row {
    /// A run that could not be measured.
    pub fn failed(workload: Workload, mode: Mode, jobs: u64, error: String) -> Row {
        Row {
            workload,
            mode,
            family: family(mode),
            jobs,
            wall_ms: 0.0,
            cpu_ms: 0.0,
            cpu_per_wall: 0.0,
            speedup: None,
            peak_parallelism: 0,
            correct: false,
            error: Some(error),
            note: None,
            svg: None,
            trace: None,
        }
    }

    /// Measures `outcome` and checks it against `expected` (one value per job).
    pub fn measure(
        workload: Workload,
        mode: Mode,
        outcome: &RunOutcome,
        expected: &[String],
    ) -> Row {
        let wall = outcome.end_ns.saturating_sub(outcome.start_ns).max(1);
        let wall_ms = wall as f64 / 1e6;
        let cpu_ms = outcome.cpu.as_secs_f64() * 1e3;
        let error = check(&outcome.outputs, expected);
        Row {
            workload,
            mode,
            family: family(mode),
            jobs: expected.len() as u64,
            wall_ms,
            cpu_ms,
            cpu_per_wall: cpu_ms / wall_ms,
            speedup: None,
            peak_parallelism: peak_in_flight(&outcome.outputs),
            correct: error.is_none(),
            error,
            note: outcome.note.clone(),
            svg: None,
            trace: None,
        }
    }
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
