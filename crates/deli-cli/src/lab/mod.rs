//! `deli lab`: the guides' experiments, run on this machine. The same jobs
//! (I/O-bound, CPU-bound, mixed; see [`workload`]) run in every mode
//! ([`modes`], and Python's in [`python`]); each run is checked, measured
//! ([`measure`]) and drawn, and the results go to a table or JSON on
//! stdout and to an HTML report ([`report`]) in `--out`.
//!
//! Uses deli's public API only, and the CLI's [`crate::timeline`].

mod clock;
mod measure;
mod modes;
mod python;
mod report;
mod server;
mod traced;
mod workload;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use measure::Row;
use modes::Mode;
use python::Python;
use report::Settings;
use server::DelayServer;
use workload::{expected, JobSpec, Workload};

/// The most jobs a run may have (the threads modes start one thread each).
const MAX_JOBS: u64 = 2_000;

/// `deli lab`'s options.
#[derive(Debug, clap::Args)]
pub struct LabArgs {
    /// Which workload to run.
    #[arg(long, value_enum, default_value = "all")]
    workload: WorkloadChoice,
    /// Jobs per run [default: 16, or 8 with --quick].
    #[arg(long)]
    jobs: Option<u64>,
    /// Modes to run, repeated or comma-separated [default: every mode].
    #[arg(long = "mode", value_enum, value_delimiter = ',')]
    modes: Vec<Mode>,
    /// Run each mode this many times (modes interleaved) and report the
    /// run of median wall time.
    #[arg(long, default_value_t = 1)]
    repeat: u64,
    /// Fewer, smaller jobs: the whole lab in a few seconds.
    #[arg(long)]
    quick: bool,
    /// Print the results as JSON on stdout (and nothing else there).
    #[arg(long)]
    json: bool,
    /// Where to write the SVG timelines and the HTML report.
    #[arg(long, default_value = "deli-lab-report")]
    out: PathBuf,
    /// Threads or processes per pool, and async workers [default: one per core].
    #[arg(long)]
    workers: Option<usize>,
    /// The Python interpreter to compare with.
    #[arg(long, default_value = "python3", hide = true)]
    python: OsString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum WorkloadChoice {
    Io,
    Cpu,
    Mixed,
    All,
}

impl WorkloadChoice {
    fn workloads(self) -> Vec<Workload> {
        match self {
            WorkloadChoice::Io => vec![Workload::Io],
            WorkloadChoice::Cpu => vec![Workload::Cpu],
            WorkloadChoice::Mixed => vec![Workload::Mixed],
            WorkloadChoice::All => Workload::ALL.to_vec(),
        }
    }
}

/// How big the jobs are.
fn settings(args: &LabArgs) -> Settings {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (jobs, delay, cpu_job) = if args.quick {
        (8, Duration::from_millis(20), Duration::from_millis(8))
    } else {
        (16, Duration::from_millis(50), Duration::from_millis(30))
    };
    Settings {
        cores,
        workers: args.workers.unwrap_or(cores),
        jobs: args.jobs.unwrap_or(jobs),
        io_delay: delay,
        rounds: rounds_for(cpu_job),
        repeat: args.repeat,
        cpu_job,
        quick: args.quick,
    }
}

/// How many SHA-256 rounds take about `target` on this machine (so a CPU
/// job weighs the same here as anywhere; Python runs the same rounds).
fn rounds_for(target: Duration) -> u64 {
    let mut rounds = 1_000;
    loop {
        let start = std::time::Instant::now();
        std::hint::black_box(workload::chain(b"calibrate", rounds));
        let elapsed = start.elapsed();
        if elapsed >= Duration::from_millis(30) || rounds >= 1 << 30 {
            let per_second = rounds as f64 / elapsed.as_secs_f64().max(1e-9);
            return (per_second * target.as_secs_f64()).max(1.0) as u64;
        }
        rounds *= 2;
    }
}

/// Runs the lab; the exit code is a failure if any run failed or was wrong.
pub fn run(args: LabArgs) -> ExitCode {
    let settings = settings(&args);
    if settings.jobs == 0 || settings.jobs > MAX_JOBS {
        eprintln!("deli lab: --jobs must be between 1 and {MAX_JOBS}");
        return ExitCode::FAILURE;
    }
    if settings.repeat == 0 || settings.repeat > 99 {
        eprintln!("deli lab: --repeat must be between 1 and 99");
        return ExitCode::FAILURE;
    }
    if settings.workers == 0 {
        eprintln!("deli lab: --workers must be at least 1");
        return ExitCode::FAILURE;
    }
    let mut modes = if args.modes.is_empty() {
        Mode::ALL.to_vec()
    } else {
        args.modes.clone()
    };
    let mut seen = Vec::new();
    modes.retain(|mode| {
        let first = !seen.contains(mode);
        seen.push(*mode);
        first
    });
    let python = if modes.iter().any(|mode| mode.is_python()) {
        match Python::find(&args.python) {
            Ok(python) => Ok(python),
            Err(reason) => {
                eprintln!("deli lab: {reason}; skipping the Python rows");
                modes.retain(|mode| !mode.is_python());
                Err(reason)
            }
        }
    } else {
        Err("no Python mode asked for".to_owned())
    };
    if let Err(error) = std::fs::create_dir_all(&args.out) {
        eprintln!("deli lab: cannot create {}: {error}", args.out.display());
        return ExitCode::FAILURE;
    }
    let server = match DelayServer::start(settings.io_delay) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("deli lab: cannot start the delay server: {error}");
            return ExitCode::FAILURE;
        }
    };

    let workloads = args.workload.workloads();
    let progress = ProgressBar::new((workloads.len() * modes.len()) as u64 * settings.repeat);
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut rows = Vec::new();
    let mut pictures = Vec::new();
    for &workload in &workloads {
        let spec = JobSpec {
            workload,
            rounds: settings.rounds,
            server: server.addr().to_string(),
        };
        let expected: Vec<String> = (0..settings.jobs).map(|job| expected(&spec, job)).collect();
        // Rounds go A B C .. A B C, so a noisy neighbour hurts every mode alike.
        let mut runs: Vec<Vec<Result<modes::RunOutcome, String>>> =
            modes.iter().map(|_| Vec::new()).collect();
        for round in 0..settings.repeat {
            for (&mode, runs) in modes.iter().zip(&mut runs) {
                progress.set_message(format!(
                    "{} / {} (round {} of {})",
                    workload.name(),
                    mode.name(),
                    round + 1,
                    settings.repeat
                ));
                runs.push(match (&python, mode.is_python()) {
                    (Ok(python), true) => python.run(mode, &spec, settings.jobs, settings.workers),
                    (Err(reason), true) => Err(reason.clone()),
                    (_, false) => modes::run_deli(mode, &spec, settings.jobs, settings.workers),
                });
                progress.inc(1);
            }
        }
        for (&mode, runs) in modes.iter().zip(runs) {
            let (row, picture) = match median_run(runs, &expected) {
                Ok(outcome) => {
                    let mut row = Row::measure(workload, mode, &outcome, &expected);
                    let stem = format!("{}-{}", workload.name(), mode.name().replace('+', "-"));
                    let svg = measure::run_svg(workload, mode, &outcome);
                    row.svg = write(&args.out, &format!("{stem}.svg"), &svg, &progress);
                    if let Some(trace) = &outcome.trace_json {
                        row.trace =
                            write(&args.out, &format!("{stem}.trace.json"), trace, &progress);
                    }
                    (row, Some(svg))
                }
                Err(error) => (Row::failed(workload, mode, settings.jobs, error), None),
            };
            rows.push(row);
            pictures.push(picture);
        }
    }
    progress.finish_and_clear();
    drop(server);
    report::fill_speedups(&mut rows);

    let python_line = match &python {
        Ok(python) => format!("Python {} (python3)", python.version()),
        Err(reason) => format!("no Python rows: {reason}"),
    };
    let json = report::json(&settings, &python_line, &rows);
    write(&args.out, "results.json", &json, &progress);
    let html = report::html(&settings, &python_line, &rows, &pictures);
    let html_path = write(&args.out, "index.html", &html, &progress);
    if args.json {
        println!("{json}");
    } else {
        print!("{}", report::table(&settings, &python_line, &rows));
        if html_path.is_some() {
            println!("report: {}", args.out.join("index.html").display());
        }
    }
    let failed: Vec<&Row> = rows.iter().filter(|row| !row.correct).collect();
    for row in &failed {
        eprintln!(
            "deli lab: {} / {} failed: {}",
            row.workload.name(),
            row.mode.name(),
            row.error.as_deref().unwrap_or("unknown error")
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The run of median wall time; but the first failure, or the first run
/// with a wrong value, if any (a wrong answer is never outvoted).
fn median_run(
    runs: Vec<Result<modes::RunOutcome, String>>,
    expected: &[String],
) -> Result<modes::RunOutcome, String> {
    let mut outcomes = runs.into_iter().collect::<Result<Vec<_>, String>>()?;
    if let Some(wrong) = outcomes
        .iter()
        .position(|outcome| measure::check(&outcome.outputs, expected).is_some())
    {
        return Ok(outcomes.swap_remove(wrong));
    }
    outcomes.sort_by_key(|outcome| outcome.end_ns.saturating_sub(outcome.start_ns));
    let middle = outcomes.len() / 2;
    outcomes
        .into_iter()
        .nth(middle)
        .ok_or_else(|| "no run".to_owned())
}

/// Writes `name` into `dir`; returns the name, or `None` after saying why not.
fn write(dir: &std::path::Path, name: &str, text: &str, progress: &ProgressBar) -> Option<String> {
    match std::fs::write(dir.join(name), text) {
        Ok(()) => Some(name.to_owned()),
        Err(error) => {
            progress.suspend(|| {
                eprintln!(
                    "deli lab: cannot write {}: {error}",
                    dir.join(name).display()
                )
            });
            None
        }
    }
}
