//! Keeping the lab honest on a shared machine: each row's speedup over its
//! baseline's *median* run, with the spread of its own runs, and a plain
//! sentence on every row whose numbers should not be taken at face value —
//! runs that disagree with each other, or a figure no run of that mode can
//! reach on this machine (a sign that a run, often the baseline, was
//! disturbed). Flags never fail the lab: they tell the reader to rerun.
//!
//! Uses the rows of [`super::measure`] and [`Mode::usable_cores`].

use super::measure::Row;
use super::modes::Mode;
use super::workload::Workload;

/// Wall times of one row's runs may spread this much (max − min over the
/// median) before the row is called noisy.
pub const SPREAD_LIMIT: f64 = 0.20;

/// Measured figures may exceed their bound by this factor before they are
/// called impossible: sequential runs carry a little overhead of their own,
/// so a speedup a hair above the core count is still honest.
pub const BOUND_SLACK: f64 = 1.05;

/// A CPU-bound run that kept fewer than this share of the cores it could
/// use busy was starved by other programs.
pub const STARVED_BELOW: f64 = 0.75;

/// What rerunning is for, ending every flag.
const RERUN: &str = "rerun on a quiet machine";

/// Sets each correct row's speedup over its baseline's median run of the
/// same workload, then flags rows that look wrong for a machine of `cores`
/// cores with `workers` threads or processes per pool.
pub fn judge(rows: &mut [Row], cores: usize, workers: usize) {
    let baselines: Vec<(Workload, Mode, f64)> = rows
        .iter()
        .filter(|row| row.correct && row.mode.baseline() == row.mode)
        .map(|row| (row.workload, row.mode, row.wall_ms))
        .collect();
    for row in rows.iter_mut().filter(|row| row.correct) {
        let baseline = baselines
            .iter()
            .find(|(workload, mode, _)| *workload == row.workload && *mode == row.mode.baseline())
            .map(|(_, _, wall_ms)| *wall_ms);
        if let Some(baseline) = baseline {
            row.speedup = Some(baseline / row.wall_ms);
            row.speedup_min = Some(baseline / row.wall_ms_max.max(f64::MIN_POSITIVE));
            row.speedup_max = Some(baseline / row.wall_ms_min.max(f64::MIN_POSITIVE));
        }
        row.flags = flags(row, cores, workers);
    }
}

/// How many times faster than one job at a time a run of `row` can be: a
/// CPU-bound run by the cores its mode can use; any run by the jobs it had
/// in flight at once.
pub fn speedup_bound(row: &Row, cores: usize, workers: usize) -> usize {
    let in_flight = row.peak_parallelism.max(1);
    match row.workload {
        Workload::Cpu => in_flight.min(row.mode.usable_cores(workers, cores)),
        Workload::Io | Workload::Mixed => in_flight,
    }
}

/// The plain sentences for one measured row.
fn flags(row: &Row, cores: usize, workers: usize) -> Vec<String> {
    let mut flags = Vec::new();
    if row.runs > 1 && row.wall_ms > 0.0 {
        let spread = (row.wall_ms_max - row.wall_ms_min) / row.wall_ms;
        if spread > SPREAD_LIMIT {
            flags.push(format!(
                "noisy: its {} runs took {:.0}–{:.0} ms ({:.0} % apart); {RERUN}",
                row.runs,
                row.wall_ms_min,
                row.wall_ms_max,
                spread * 100.0
            ));
        }
    }
    let bound = speedup_bound(row, cores, workers);
    if let Some(speedup) = row.speedup {
        if speedup > bound as f64 * BOUND_SLACK {
            let limit = match row.workload {
                Workload::Cpu => format!(
                    "this CPU work can use at most {bound} core{}",
                    plural(bound)
                ),
                Workload::Io | Workload::Mixed => {
                    format!("at most {bound} job{} ran at once", plural(bound))
                }
            };
            flags.push(format!(
                "impossible: {speedup:.2}x, but {limit} — a run (perhaps {}) was disturbed; {RERUN}",
                row.mode.baseline().name()
            ));
        }
    }
    if row.workload == Workload::Cpu {
        let could = row
            .peak_parallelism
            .clamp(1, row.mode.usable_cores(workers, cores));
        if row.cpu_per_wall < could as f64 * STARVED_BELOW {
            flags.push(format!(
                "starved: its CPU work kept {:.2} cores busy where it could keep {could} busy — \
                 other programs had the cores; {RERUN}",
                row.cpu_per_wall
            ));
        }
    }
    if row.cpu_per_wall > cores as f64 * BOUND_SLACK {
        flags.push(format!(
            "impossible: CPU/wall {:.2} on {cores} core{}; {RERUN}",
            row.cpu_per_wall,
            plural(cores)
        ));
    }
    flags
}

/// A row's flags for its check column: each flag's finding, then what to
/// do about them once (`""` when there are none).
pub fn summary(flags: &[String]) -> String {
    if flags.is_empty() {
        return String::new();
    }
    let suffix = format!("; {RERUN}");
    let findings: Vec<&str> = flags
        .iter()
        .map(|flag| flag.strip_suffix(&suffix).unwrap_or(flag))
        .collect();
    format!("; {}{suffix}", findings.join("; "))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A measured row with the given runs' wall times and peak.
    pub(crate) fn row(workload: Workload, mode: Mode, walls: &[f64], peak: usize) -> Row {
        let mut row = Row::failed(workload, mode, 16, String::new());
        row.correct = true;
        row.error = None;
        row.runs = walls.len();
        row.wall_ms = super::super::measure::median(walls);
        row.wall_ms_min = walls.iter().copied().fold(f64::INFINITY, f64::min);
        row.wall_ms_max = walls.iter().copied().fold(0.0, f64::max);
        row.wall_ms_runs = walls.to_vec();
        // As busy as the mode can be: the CPU work of a quiet machine.
        row.cpu_per_wall = peak.clamp(1, mode.usable_cores(2, 2)) as f64;
        row.peak_parallelism = peak;
        row
    }

    #[test]
    fn speedups_are_over_the_baseline_median_with_the_spread_of_the_runs() {
        let mut rows = vec![
            row(Workload::Cpu, Mode::Sequential, &[400.0, 500.0, 900.0], 1),
            row(Workload::Cpu, Mode::ThreadPool, &[240.0, 250.0, 260.0], 2),
        ];
        judge(&mut rows, 2, 2);
        let pool = &rows[1];
        assert!((pool.speedup.unwrap() - 2.0).abs() < 1e-9);
        assert!((pool.speedup_min.unwrap() - 500.0 / 260.0).abs() < 1e-9);
        assert!((pool.speedup_max.unwrap() - 500.0 / 240.0).abs() < 1e-9);
        assert!(pool.flags.is_empty(), "{:?}", pool.flags);
        // The baseline's own runs spread 100 %: it says so.
        assert_eq!(rows[0].flags.len(), 1);
        assert!(rows[0].flags[0].starts_with("noisy: its 3 runs took 400–900 ms"));
        assert!(rows[0].flags[0].ends_with("rerun on a quiet machine"));
    }

    #[test]
    fn a_speedup_past_the_usable_cores_is_flagged_but_not_past_the_jobs_in_flight_for_io() {
        let mut rows = vec![
            row(Workload::Cpu, Mode::PythonSequential, &[1000.0], 1),
            row(Workload::Cpu, Mode::PythonProcesses, &[400.0], 2),
            row(Workload::Cpu, Mode::PythonThreads, &[870.0], 16),
            row(Workload::Io, Mode::Sequential, &[800.0], 1),
            row(Workload::Io, Mode::Threads, &[53.0], 16),
            row(Workload::Io, Mode::ThreadPool, &[200.0], 2),
        ];
        judge(&mut rows, 2, 2);
        let flags = |index: usize| rows[index].flags.clone();
        assert!(
            flags(1)[0].starts_with("impossible: 2.50x, but this CPU work can use at most 2 cores")
        );
        // The GIL: Python threads run one job's hashing at a time.
        assert!(
            flags(2)[0].starts_with("impossible: 1.15x, but this CPU work can use at most 1 core ")
        );
        assert!(flags(4).is_empty(), "15x with 16 waits in flight is real");
        assert!(flags(5)[0].starts_with("impossible: 4.00x, but at most 2 jobs ran at once"));
    }

    #[test]
    fn cpu_work_that_got_too_little_of_the_cores_is_called_starved() {
        let mut rows = vec![
            row(Workload::Cpu, Mode::Sequential, &[500.0], 1),
            row(Workload::Cpu, Mode::ThreadPool, &[260.0], 2),
            row(Workload::Io, Mode::Sequential, &[800.0], 1),
        ];
        rows[0].cpu_per_wall = 0.52;
        rows[1].cpu_per_wall = 1.6;
        rows[2].cpu_per_wall = 0.01;
        judge(&mut rows, 2, 2);
        assert_eq!(rows[0].flags.len(), 1);
        assert!(rows[0].flags[0]
            .starts_with("starved: its CPU work kept 0.52 cores busy where it could keep 1 busy"));
        assert!(rows[1].flags.is_empty(), "1.6 of 2 cores is busy enough");
        assert!(rows[2].flags.is_empty(), "waiting is not starving");
    }

    #[test]
    fn a_row_says_rerun_once_however_many_flags_it_has() {
        let flags = [format!("noisy: x; {RERUN}"), format!("starved: y; {RERUN}")];
        assert_eq!(
            summary(&flags),
            "; noisy: x; starved: y; rerun on a quiet machine"
        );
        assert_eq!(summary(&[]), "");
    }

    #[test]
    fn cpu_per_wall_past_the_cores_is_flagged_and_one_run_is_never_called_noisy() {
        let mut rows = vec![row(Workload::Cpu, Mode::Sequential, &[500.0], 1)];
        rows[0].cpu_per_wall = 2.6;
        judge(&mut rows, 2, 2);
        assert_eq!(
            rows[0].flags,
            ["impossible: CPU/wall 2.60 on 2 cores; rerun on a quiet machine"]
        );
    }
}
