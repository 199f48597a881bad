//! # deli-bench
//!
//! Side-by-side benchmarks of deli against its peer, tokio, in one process:
//! every comparison builds both runtimes once, then runs the same case body
//! on each in turn — deli, tokio, deli, tokio, … — untimed warm-up rounds
//! first, and reports the median of the timed rounds as one line:
//!
//! ```text
//! BENCH <suite>/<case> deli=<median ns> tokio=<median ns> ratio=<deli/tokio>
//! ```
//!
//! A ratio below 1 means deli was faster. Case names end in `-mt` (both
//! multi-thread runtimes with 2 workers) or `-ct` (both current-thread).
//! Only the runtime differs between the two sides: completion signals and
//! channels come from this crate ([`oneshot`], [`countdown`]), not from
//! either runtime.
//!
//! # Running
//!
//! ```text
//! cargo run --release -p deli-bench -- scheduler
//! cargo run --release -p deli-bench -- timers
//! cargo run --release -p deli-bench -- tcp
//! cargo run --release -p deli-bench -- pool
//! cargo run --release -p deli-bench -- process
//! cargo run --release -p deli-bench -- monitor
//! cargo run --release -p deli-bench -- sync
//! cargo run --release -p deli-bench -- http
//! cargo run --release -p deli-bench -- trace
//! cargo run --release -p deli-bench -- fs
//! cargo run --release -p deli-bench -- cluster
//! cargo run --release -p deli-bench -- all --rounds 31 --warmup 5
//! cargo run --release -p deli-bench -- scheduler --filter ping_pong --verbose
//! ```
//!
//! Suites: `scheduler` (spawn_many, spawn_many_remote, yield_many, ping_pong,
//! chained_spawn — the shapes of tokio's scheduler benchmark), `timers`
//! (sleep_100k), `tcp` (an echo server on each runtime, loaded by one
//! client that is neither: echo_1k, echo_64k) and `pool` (the thread pool
//! against rayon and a thread per job; there the peer's name replaces
//! `tokio` in the line), `process` (the process pool against Python's
//! `ProcessPoolExecutor`, run by `py/process_bench.py` when `python3` is
//! there; `python` replaces `tokio`), `python` (the `deli` Python package's
//! `ProcessPoolExecutor` against `concurrent.futures`, loky and pebble in
//! `target/bench-venv`, made by `scripts/bench-python.sh`; `cf`, `loky`,
//! `pebble` replace `tokio`) and `monitor` (deli with its monitor on
//! against off on the scheduler cases — `off` replaces `tokio` in the line
//! — and a `LATENCY` line: a 1 ms ticker's p99 delay while a task blocks a
//! worker, deli against tokio), `sync` (`deli::sync` on deli's runtime
//! against `tokio::sync` on tokio's: mpsc, semaphore, mutex), `http` (a
//! hello-world and a JSON-echo server on `deli::http` against the same hyper
//! server on tokio, loaded by `wrk` where it is installed, else by an
//! in-process client) and `trace` (deli with `deli::trace` recording
//! against off on the multi-thread scheduler cases; `off` replaces `tokio`
//! in the line) and `fs` (`deli::fs` against `tokio::fs`: 1,000 files of
//! 4 KiB written then read, one 256 MiB file in 64 KiB chunks). `BENCH` lines go to stdout, everything else to
//! stderr. A run
//! that takes longer than `--hang-after` seconds is reported as `HANG …` on
//! stderr and the process exits with status 3.
//!
//! This module owns the command line and dispatch; it calls the suites.

mod countdown;
mod harness;
mod oneshot;
mod runtimes;
mod suites;

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use harness::{Harness, Settings};

/// Runs deli and tokio side by side and prints one `BENCH` line per comparison.
#[derive(Debug, Parser)]
#[command(name = "deli-bench", version)]
struct Cli {
    /// Which suite to run.
    suite: Suite,

    /// Timed rounds per comparison (each runs deli once, then tokio once).
    /// Default: 41 for `scheduler` (its runs take milliseconds, so more
    /// samples are cheap and steady the median), 15 for `timers` and `tcp`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: Option<u64>,

    /// Untimed rounds before the timed ones.
    #[arg(long, default_value_t = 3)]
    warmup: u64,

    /// Run only comparisons whose name (e.g. `scheduler/ping_pong-mt`) contains this.
    #[arg(long)]
    filter: Option<String>,

    /// Seconds after which a single run counts as hung and the process exits.
    #[arg(long, default_value_t = 60)]
    hang_after: u64,

    /// Milliseconds to pause before each run, so the other runtime's idle
    /// workers have parked and do not compete for the cores.
    #[arg(long, default_value_t = 5)]
    settle_ms: u64,

    /// Also print min / median / max per side to stderr.
    #[arg(long)]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Suite {
    /// Spawning, yielding, waking: tokio's scheduler benchmark shapes.
    Scheduler,
    /// 100,000 concurrent sleeps.
    Timers,
    /// Echo servers on deli's and tokio's sockets under the same client.
    Tcp,
    /// The thread pool against rayon and a thread per job.
    Pool,
    /// The process pool against Python's ProcessPoolExecutor.
    Process,
    /// deli.ProcessPoolExecutor (the Python package) against
    /// concurrent.futures, loky and pebble.
    Python,
    /// The monitor's cost (on against off) and a ticker's delay while a
    /// task blocks a worker.
    Monitor,
    /// deli::sync against tokio::sync: mpsc, semaphore, mutex.
    Sync,
    /// A hello-world and a JSON-echo HTTP server on deli::http against the
    /// same hyper server on tokio.
    Http,
    /// The cost of recording a trace (on against off).
    Trace,
    /// deli::fs against tokio::fs: 1,000 small files, one 256 MiB file.
    Fs,
    /// Jobs through Redis (deli::cluster) against the local process pool
    /// and Celery.
    Cluster,
    /// Every suite, in the order above.
    All,
}

/// A runnable suite: its name, its entry point and its default timed rounds.
struct SuiteEntry {
    suite: Suite,
    run: fn(&Harness) -> io::Result<()>,
    default_rounds: u64,
}

/// Every suite, in the order `all` runs them.
const SUITES: [SuiteEntry; 12] = [
    SuiteEntry {
        suite: Suite::Scheduler,
        run: suites::scheduler::run,
        default_rounds: 41,
    },
    SuiteEntry {
        suite: Suite::Timers,
        run: suites::timers::run,
        default_rounds: 15,
    },
    SuiteEntry {
        suite: Suite::Tcp,
        run: suites::tcp::run,
        default_rounds: 15,
    },
    SuiteEntry {
        suite: Suite::Pool,
        run: suites::pool::run,
        // fib32 runs in a few milliseconds and swings with the machine's
        // load: more rounds steady its median.
        default_rounds: 21,
    },
    SuiteEntry {
        suite: Suite::Process,
        run: suites::process::run,
        // Python's side of `cpu` takes seconds a round.
        default_rounds: 5,
    },
    SuiteEntry {
        suite: Suite::Python,
        run: suites::python::run,
        // The cpu case takes about two seconds a run on each side.
        default_rounds: 5,
    },
    SuiteEntry {
        suite: Suite::Monitor,
        run: suites::monitor::run,
        // Ratios near 1 are the point: as many rounds as `scheduler`.
        default_rounds: 41,
    },
    SuiteEntry {
        suite: Suite::Sync,
        run: suites::sync::run,
        // Each run moves a million messages: fewer rounds suffice.
        default_rounds: 15,
    },
    SuiteEntry {
        suite: Suite::Http,
        run: suites::http::run,
        // Each run lasts seconds under wrk.
        default_rounds: 7,
    },
    SuiteEntry {
        suite: Suite::Trace,
        run: suites::trace::run,
        // As for `monitor`.
        default_rounds: 41,
    },
    SuiteEntry {
        suite: Suite::Fs,
        run: suites::fs::run,
        // `big_file` moves 512 MiB a run on each side.
        default_rounds: 9,
    },
    SuiteEntry {
        suite: Suite::Cluster,
        run: suites::cluster::run,
        // Celery's side of `tiny` takes seconds a round.
        default_rounds: 5,
    },
];

fn main() -> ExitCode {
    // The process suite's workers are this executable, re-executed.
    deli::process::init();
    let cli = Cli::parse();
    let chosen = SUITES
        .iter()
        .filter(|entry| cli.suite == Suite::All || cli.suite == entry.suite);
    for entry in chosen {
        let settings = Settings {
            rounds: saturating_usize(cli.rounds.unwrap_or(entry.default_rounds)),
            warmup: saturating_usize(cli.warmup),
            filter: cli.filter.clone(),
            hang_after: Duration::from_secs(cli.hang_after),
            settle: Duration::from_millis(cli.settle_ms),
            verbose: cli.verbose,
        };
        eprintln!(
            "deli-bench: {:?}, {} timed + {} warm-up rounds, deli vs tokio ({} workers for -mt)",
            entry.suite,
            settings.rounds,
            settings.warmup,
            runtimes::WORKERS
        );
        if let Err(error) = (entry.run)(&Harness::new(settings)) {
            eprintln!("deli-bench: cannot build a runtime: {error}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn saturating_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
