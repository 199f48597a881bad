//! `deli lab`: the guides' experiments, run on this machine. The same jobs
//! (I/O-bound, CPU-bound, mixed; see [`workload`]) run in every mode
//! ([`modes`], and Python's in [`python`]), each mode several times and
//! interleaved; each run is checked, measured ([`measure`]) and drawn, the
//! rows are judged for noise ([`noise`]), charted ([`chart`]) and turned
//! into advice ([`recommend`]), and the results go to a table or JSON on
//! stdout and to an HTML report ([`report`]) in `--out`. `--sweep` runs
//! the cpu workload over worker counts instead ([`sweep`]).
//!
//! Uses deli's public API only, and the CLI's [`crate::timeline`].

mod chart;
mod clock;
mod measure;
mod modes;
mod noise;
mod python;
mod recommend;
mod report;
mod server;
mod sweep;
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

/// Runs per mode unless `--quick` or `--repeat` says otherwise: the fewest
/// that have a median and a spread.
const DEFAULT_RUNS: u64 = 3;

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
    /// median with the spread [default: 3, or 1 with --quick].
    #[arg(long)]
    repeat: Option<u64>,
    /// Fewer, smaller jobs, one run each: the whole lab in a few seconds.
    #[arg(long)]
    quick: bool,
    /// Run the cpu workload with 1, 2, ... N workers in threads,
    /// thread-pool, process-pool and python-processes, and plot speedup
    /// against workers (instead of the usual tables).
    #[arg(long)]
    sweep: bool,
    /// The sweep's N [default: one per core].
    #[arg(long, requires = "sweep")]
    max_workers: Option<usize>,
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
    /// The only interpreter to try for python-deli-processes [default: the
    /// workspace's target/py-venv, target/bench-venv, then --python].
    #[arg(long, hide = true)]
    deli_python: Option<OsString>,
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
        python_rounds: None,
        repeat: args
            .repeat
            .unwrap_or(if args.quick { 1 } else { DEFAULT_RUNS }),
        cpu_job,
        quick: args.quick,
    }
}

/// How many SHA-256 rounds take about `target` of CPU time on this
/// machine, measured once per lab run and kept for every mode (Python
/// sizes its own the same way, [`Python::rounds_for`]). It times the
/// thread's CPU time, not the wall clock, and keeps the fastest of three
/// timings, so other programs busy during calibration do not shrink every
/// job: on a quiet machine a job then takes about `target` of wall time.
fn rounds_for(target: Duration) -> u64 {
    let time = |rounds: u64| {
        let start = clock::thread_cpu_time();
        std::hint::black_box(workload::chain(b"calibrate", rounds));
        clock::thread_cpu_time().saturating_sub(start)
    };
    let mut rounds = 1_000;
    let mut elapsed = time(rounds);
    while elapsed < Duration::from_millis(30) && rounds < 1 << 30 {
        rounds *= 2;
        elapsed = time(rounds);
    }
    for _ in 0..2 {
        elapsed = elapsed.min(time(rounds));
    }
    let per_second = rounds as f64 / elapsed.as_secs_f64().max(1e-9);
    (per_second * target.as_secs_f64()).max(1.0) as u64
}

/// Runs the lab; the exit code is a failure if any run failed or was
/// wrong (never because the numbers were noisy: those rows say so).
pub fn run(args: LabArgs) -> ExitCode {
    let mut settings = settings(&args);
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
    let max_workers = args.max_workers.unwrap_or(settings.cores);
    if args.sweep && !(1..=sweep::MAX_WORKERS).contains(&max_workers) {
        eprintln!(
            "deli lab: --max-workers must be between 1 and {}",
            sweep::MAX_WORKERS
        );
        return ExitCode::FAILURE;
    }
    let mut modes = if args.sweep {
        sweep::MODES.to_vec()
    } else if args.modes.is_empty() {
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
        match Python::find(&args.python).and_then(|python| {
            let rounds = python.rounds_for(settings.cpu_job)?;
            Ok((python, rounds))
        }) {
            Ok((python, rounds)) => {
                settings.python_rounds = Some(rounds);
                Ok(python)
            }
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
    // deli's Python row needs an interpreter with the `deli` package, which
    // python3 rarely has: the workspace's virtual environments come first.
    let deli_python = if python.is_ok() && modes.contains(&Mode::PythonDeliProcesses) {
        let candidates = match &args.deli_python {
            Some(only) => vec![only.clone()],
            None => python::deli_candidates(&args.python),
        };
        python::find_deli(&candidates)
    } else {
        Err("no python-deli-processes row asked for".to_owned())
    };
    if let (Ok(_), Err(reason)) = (&python, &deli_python) {
        if modes.contains(&Mode::PythonDeliProcesses) {
            eprintln!("deli lab: skipping python-deli-processes: {reason}");
        }
    }
    let mut python_line = match &python {
        Ok(python) => format!("Python {} (python3)", python.version()),
        Err(reason) => format!("no Python rows: {reason}"),
    };
    if let Ok(deli_python) = &deli_python {
        python_line.push_str(&format!(
            "; python-deli-processes on {}",
            deli_python.interpreter().to_string_lossy()
        ));
    }
    if args.sweep {
        // The sweep is CPU work only: enough jobs that the widest point
        // still has two per worker.
        settings.jobs = settings.jobs.max(2 * max_workers as u64);
        return run_sweep(&args, &settings, &python, &python_line, &modes, max_workers);
    }
    let server = match DelayServer::start(settings.io_delay) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("deli lab: cannot start the delay server: {error}");
            return ExitCode::FAILURE;
        }
    };

    let workloads = args.workload.workloads();
    let progress = progress_bar((workloads.len() * modes.len()) as u64 * settings.repeat);
    let mut rows = Vec::new();
    let mut pictures = Vec::new();
    for &workload in &workloads {
        let specs = Specs::new(workload, &settings, server.addr().to_string());
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
                let interpreter = if mode == Mode::PythonDeliProcesses {
                    &deli_python
                } else {
                    &python
                };
                if mode == Mode::PythonDeliProcesses && deli_python.is_err() {
                    // Skipped below; nothing to run.
                } else {
                    runs.push(specs.run(interpreter, mode, settings.jobs, settings.workers));
                }
                progress.inc(1);
            }
        }
        for (&mode, runs) in modes.iter().zip(runs) {
            let expected = specs.expected(mode);
            if let (Mode::PythonDeliProcesses, Err(why)) = (mode, &deli_python) {
                rows.push(Row::skipped(workload, mode, settings.jobs, why.clone()));
                pictures.push(None);
                continue;
            }
            let (row, picture) = match runs.into_iter().collect::<Result<Vec<_>, String>>() {
                Ok(outcomes) => {
                    let shown = measure::shown_run(&outcomes, expected);
                    let mut row = Row::measure(workload, mode, &outcomes, shown, expected);
                    let outcome = &outcomes[shown];
                    let stem = format!("{}-{}", workload.name(), mode.name().replace('+', "-"));
                    let svg = measure::run_svg(workload, mode, outcome);
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
    noise::judge(&mut rows, settings.cores, settings.workers);
    let recommendations = recommend::lines(&rows);

    let json = report::json(&settings, &python_line, &rows, &recommendations);
    write(&args.out, "results.json", &json, &progress);
    let html = report::html(&settings, &python_line, &rows, &pictures, &recommendations);
    let html_path = write(&args.out, "index.html", &html, &progress);
    if args.json {
        println!("{json}");
    } else {
        print!(
            "{}",
            report::table(&settings, &python_line, &rows, &recommendations)
        );
        if html_path.is_some() {
            println!("report: {}", args.out.join("index.html").display());
        }
    }
    let failed: Vec<&Row> = rows
        .iter()
        .filter(|row| !row.correct && row.skipped.is_none())
        .collect();
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

fn progress_bar(len: u64) -> ProgressBar {
    let progress = ProgressBar::new(len);
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress
}

/// One workload's jobs for each side: Rust's and Python's differ only in
/// their rounds, each side's calibrated to the same time per job.
struct Specs {
    deli: JobSpec,
    deli_expected: Vec<String>,
    python: JobSpec,
    python_expected: Vec<String>,
}

impl Specs {
    fn new(workload: Workload, settings: &Settings, server: String) -> Specs {
        let deli = JobSpec {
            workload,
            rounds: settings.rounds,
            server,
        };
        let python = JobSpec {
            rounds: settings.python_rounds.unwrap_or(settings.rounds),
            ..deli.clone()
        };
        let expect = |spec: &JobSpec| (0..settings.jobs).map(|job| expected(spec, job)).collect();
        Specs {
            deli_expected: expect(&deli),
            python_expected: expect(&python),
            deli,
            python,
        }
    }

    fn expected(&self, mode: Mode) -> &[String] {
        if mode.is_python() {
            &self.python_expected
        } else {
            &self.deli_expected
        }
    }

    /// One run of `mode`; `threads` in the sweep is [`modes::run_worker_threads`].
    fn run(
        &self,
        python: &Result<Python, String>,
        mode: Mode,
        jobs: u64,
        workers: usize,
    ) -> Result<modes::RunOutcome, String> {
        match (python, mode.is_python()) {
            (Ok(python), true) => python.run(mode, &self.python, jobs, workers),
            (Err(reason), true) => Err(reason.clone()),
            (_, false) => modes::run_deli(mode, &self.deli, jobs, workers),
        }
    }
}

/// The sweep's runs, with progress.
struct SweepRunner<'a> {
    specs: Specs,
    python: &'a Result<Python, String>,
    jobs: u64,
    progress: ProgressBar,
    runs: u64,
}

impl sweep::Runner for SweepRunner<'_> {
    fn run(&mut self, mode: Mode, workers: usize) -> Result<modes::RunOutcome, String> {
        let outcome = match mode {
            Mode::Threads => modes::run_worker_threads(&self.specs.deli, self.jobs, workers),
            mode => self.specs.run(self.python, mode, self.jobs, workers),
        };
        self.progress.inc(1);
        outcome
    }

    fn expected(&self, mode: Mode) -> &[String] {
        self.specs.expected(mode)
    }

    fn starting(&mut self, mode: Mode, workers: usize, round: usize) {
        self.progress.set_message(format!(
            "{} with {workers} (round {} of {})",
            mode.name(),
            round + 1,
            self.runs
        ));
    }
}

fn run_sweep(
    args: &LabArgs,
    settings: &Settings,
    python: &Result<Python, String>,
    python_line: &str,
    modes: &[Mode],
    max_workers: usize,
) -> ExitCode {
    let mut baselines: Vec<Mode> = modes.iter().map(|mode| mode.baseline()).collect();
    baselines.dedup();
    let per_round = baselines.len() + modes.len() * max_workers;
    let mut runner = SweepRunner {
        // The cpu workload never calls the server (Python wants an address all the same).
        specs: Specs::new(Workload::Cpu, settings, "127.0.0.1:0".to_owned()),
        python,
        jobs: settings.jobs,
        progress: progress_bar(per_round as u64 * settings.repeat),
        runs: settings.repeat,
    };
    let sweep = sweep::run(
        &mut runner,
        modes,
        max_workers,
        settings.cores,
        settings.repeat as usize,
    );
    runner.progress.finish_and_clear();
    let json = report::sweep_json(settings, python_line, &sweep);
    write(&args.out, "sweep.json", &json, &runner.progress);
    write(
        &args.out,
        "sweep.svg",
        &sweep::svg(&sweep),
        &runner.progress,
    );
    let html = report::sweep_html(settings, python_line, &sweep);
    let html_path = write(&args.out, "sweep.html", &html, &runner.progress);
    if args.json {
        println!("{json}");
    } else {
        print!("{}", report::sweep_table(settings, python_line, &sweep));
        if html_path.is_some() {
            println!("report: {}", args.out.join("sweep.html").display());
        }
    }
    if sweep.all_correct() {
        ExitCode::SUCCESS
    } else {
        eprintln!("deli lab: some sweep runs failed (see the table)");
        ExitCode::FAILURE
    }
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
