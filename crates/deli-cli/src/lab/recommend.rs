//! The lab's advice: for each workload, which deli mode to use on this
//! machine and why, read off the measured medians (never a fixed text), and
//! whether Python's answer differs because of its GIL.
//!
//! Uses the judged rows of [`super::measure`] (speedups filled by
//! [`super::noise::judge`]).

use super::measure::Row;
use super::modes::Mode;
use super::workload::Workload;

/// Modes whose median speedups are this close to the best one count as
/// equally fast; among those the one that costs least wins.
pub const TIE: f64 = 0.05;

/// One line per workload in `rows`, in their order.
pub fn lines(rows: &[Row]) -> Vec<String> {
    let mut workloads: Vec<Workload> = rows.iter().map(|row| row.workload).collect();
    workloads.dedup();
    workloads
        .into_iter()
        .filter_map(|workload| line(workload, rows))
        .collect()
}

/// What a mode costs besides the work, cheapest first: the tie-breaker.
fn footprint(mode: Mode) -> (usize, &'static str) {
    match mode {
        Mode::Sequential => (0, "no threads at all"),
        Mode::ThreadPool => (1, "a thread per core"),
        Mode::Async => (2, "a worker per core"),
        Mode::AsyncPool => (3, "a worker and a pool thread per core"),
        Mode::ProcessPool => (4, "a process per core"),
        Mode::Threads => (5, "a thread per job"),
        Mode::PythonSequential => (0, "one interpreter"),
        Mode::PythonAsyncio => (1, "one thread"),
        Mode::PythonThreads => (2, "a thread per job"),
        Mode::PythonProcesses => (3, "an interpreter per core"),
        Mode::PythonDeliProcesses => (4, "an interpreter per core and deli's supervisor"),
    }
}

/// The pick among `rows` (one family, one workload): the fastest median,
/// or among those within [`TIE`] of it, the one the monitor did not have
/// to rescue and then the cheapest. Returns it and the rows it tied with.
fn pick<'a>(rows: &[&'a Row]) -> Option<(&'a Row, Vec<&'a Row>)> {
    let best = rows
        .iter()
        .filter_map(|row| row.speedup)
        .fold(None, |best: Option<f64>, speedup| {
            Some(best.map_or(speedup, |best| best.max(speedup)))
        })?;
    let mut tied: Vec<&Row> = rows
        .iter()
        .copied()
        .filter(|row| {
            row.speedup
                .is_some_and(|speedup| speedup >= best * (1.0 - TIE))
        })
        .collect();
    tied.sort_by_key(|row| (rescued(row), footprint(row.mode).0));
    let chosen = tied.remove(0);
    Some((chosen, tied))
}

/// Whether deli's monitor had to step in for a blocked worker in the run.
fn rescued(row: &Row) -> bool {
    row.note
        .as_deref()
        .is_some_and(|note| note.starts_with("monitor"))
}

fn speedup(row: &Row) -> String {
    row.speedup
        .map_or("-".to_owned(), |speedup| format!("{speedup:.2}x"))
}

fn line(workload: Workload, rows: &[Row]) -> Option<String> {
    let measured = |python: bool| -> Vec<&Row> {
        rows.iter()
            .filter(|row| row.workload == workload && row.correct && row.speedup.is_some())
            .filter(|row| row.mode.is_python() == python)
            .collect()
    };
    let deli = measured(false);
    let (chosen, tied) = pick(&deli)?;
    let mut text = format!("{}: use `{}`", workload.name(), chosen.mode.name());
    if chosen.mode == Mode::Sequential {
        text.push_str(&format!(
            " — no other mode was more than {:.0} % faster here",
            TIE * 100.0
        ));
    } else {
        text.push_str(&format!(
            " — {} over sequential, {:.2} cores busy, {} jobs in flight",
            speedup(chosen),
            chosen.cpu_per_wall,
            chosen.peak_parallelism
        ));
        if !tied.is_empty() {
            let others: Vec<String> = tied
                .iter()
                .map(|row| format!("`{}` {}", row.mode.name(), speedup(row)))
                .collect();
            text.push_str(&format!(
                "; {} {} as fast within {:.0} %, and {} costs least",
                others.join(", "),
                if others.len() == 1 { "is" } else { "are" },
                TIE * 100.0,
                footprint(chosen.mode).1
            ));
            if let Some(row) = tied.iter().find(|row| rescued(row)) {
                text.push_str(&format!(
                    " (`{}` needed the monitor to unblock its workers)",
                    row.mode.name()
                ));
            }
        } else if let Some(next) =
            deli.iter()
                .filter(|row| row.mode != chosen.mode)
                .max_by(|a, b| {
                    a.speedup
                        .unwrap_or(0.0)
                        .total_cmp(&b.speedup.unwrap_or(0.0))
                })
        {
            text.push_str(&format!(
                "; the next best, `{}`, reached {}",
                next.mode.name(),
                speedup(next)
            ));
        }
    }
    if !chosen.flags.is_empty() {
        text.push_str(
            " (its figures are flagged above: rerun on a quiet machine before relying on this)",
        );
    }
    text.push('.');
    if let Some((python, _)) = pick(&measured(true)) {
        text.push(' ');
        text.push_str(&python_says(chosen, python, &measured(true), &deli));
    }
    Some(text)
}

/// What Python's own best says next to deli's pick.
fn python_says(deli_pick: &Row, python_pick: &Row, python: &[&Row], deli: &[&Row]) -> String {
    let in_process = !matches!(deli_pick.mode, Mode::ProcessPool | Mode::Sequential);
    if python_pick.mode == Mode::PythonProcesses && in_process {
        let threads = python.iter().find(|row| row.mode == Mode::PythonThreads);
        let deli_threads = deli.iter().find(|row| row.mode == Mode::Threads);
        let mut text = format!(
            "Python's GIL changes the answer: use `python-processes` ({}{})",
            speedup(python_pick),
            if python_pick.flags.is_empty() {
                ""
            } else {
                ", flagged"
            }
        );
        if let Some(threads) = threads {
            text.push_str(&format!(
                ", since `python-threads` reached only {}",
                speedup(threads)
            ));
            if let Some(deli_threads) = deli_threads {
                text.push_str(&format!(
                    " where deli's `threads` reached {}",
                    speedup(deli_threads)
                ));
            }
        }
        text.push('.');
        text
    } else {
        format!(
            "In Python the answer is `{}` ({}{}).",
            python_pick.mode.name(),
            speedup(python_pick),
            if python_pick.flags.is_empty() {
                ""
            } else {
                ", flagged"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::noise::{judge, tests::row};
    use super::*;

    fn rows(cpu_threads_ms: f64, python_threads_ms: f64) -> Vec<Row> {
        let mut rows = vec![
            row(Workload::Cpu, Mode::Sequential, &[480.0], 1),
            row(Workload::Cpu, Mode::Threads, &[cpu_threads_ms], 16),
            row(Workload::Cpu, Mode::ThreadPool, &[258.0], 2),
            row(Workload::Cpu, Mode::ProcessPool, &[268.0], 2),
            row(Workload::Cpu, Mode::PythonSequential, &[480.0], 1),
            row(Workload::Cpu, Mode::PythonThreads, &[python_threads_ms], 16),
            row(Workload::Cpu, Mode::PythonProcesses, &[250.0], 2),
            row(Workload::Io, Mode::Sequential, &[800.0], 1),
            row(Workload::Io, Mode::Threads, &[53.0], 16),
            row(Workload::Io, Mode::Async, &[52.0], 16),
            row(Workload::Io, Mode::ThreadPool, &[400.0], 2),
        ];
        judge(&mut rows, 2, 2);
        rows
    }

    #[test]
    fn ties_go_to_the_cheapest_mode_and_the_gil_is_named() {
        let lines = lines(&rows(255.0, 475.0));
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].starts_with("cpu: use `thread-pool` — 1.86x over sequential"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("`process-pool` 1.79x, `threads` 1.88x are as fast"));
        assert!(lines[0].contains("a thread per core costs least"));
        assert!(lines[0].contains(
            "Python's GIL changes the answer: use `python-processes` (1.92x), \
             since `python-threads` reached only 1.01x where deli's `threads` reached 1.88x."
        ));
        assert!(
            lines[1].starts_with("io: use `async` — 15.38x"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("`threads` 15.09x is as fast"));
        assert!(!lines[1].contains("Python"));
    }

    #[test]
    fn the_advice_follows_the_numbers() {
        // Threads clearly ahead: they win despite costing most; and Python
        // threads that (somehow) beat processes take the Python answer.
        let lines = lines(&rows(160.0, 200.0));
        assert!(
            lines[0].starts_with("cpu: use `threads` — 3.00x"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("the next best, `thread-pool`, reached 1.86x"));
        assert!(
            lines[0].contains("(its figures are flagged"),
            "3x on 2 cores is flagged"
        );
        assert!(lines[0].ends_with("In Python the answer is `python-threads` (2.40x, flagged)."));
    }

    #[test]
    fn a_mode_the_monitor_rescued_loses_a_tie() {
        let mut rows = vec![
            row(Workload::Mixed, Mode::Sequential, &[1300.0], 1),
            row(Workload::Mixed, Mode::Async, &[300.0], 16),
            row(Workload::Mixed, Mode::AsyncPool, &[305.0], 16),
        ];
        rows[1].note = Some("monitor: 16 polls held a worker over 20 ms".into());
        judge(&mut rows, 2, 2);
        let lines = lines(&rows);
        assert!(
            lines[0].starts_with("mixed: use `async+pool`"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("(`async` needed the monitor to unblock its workers)"));
    }
}
