//! The `deli` command: `deli lab` runs the guides' concurrency experiments
//! on this machine ([`lab`]); `deli trace render` draws a trace file
//! ([`render`], pictures by [`timeline`]); `deli info` reports what a
//! default runtime uses here; `deli top` watches a running program's
//! workers and tasks ([`top`]). It uses only deli's public API.

mod jobs;
mod lab;
mod render;
mod timeline;
mod top;
mod worker;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "deli",
    version,
    about = "deli: one runtime for every kind of concurrency"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the same jobs sequentially, on threads, pools, processes and
    /// async tasks (and in Python, where python3 is present); print what
    /// each took and write timelines and an HTML report.
    Lab(lab::LabArgs),
    /// Work with trace files.
    #[command(subcommand)]
    Trace(render::TraceCommand),
    /// What a default runtime uses here, and a quick check that it runs.
    Info,
    /// Serve this binary's jobs to the clients of a Redis (deli::cluster).
    Worker(worker::WorkerArgs),
    /// Watch a running deli program's workers and tasks, live, through the
    /// inspect socket it opened with `Runtime::builder().inspect(path)`.
    Top(top::TopArgs),
}

fn main() -> ExitCode {
    // The lab's process pool re-executes this binary: a worker child serves
    // jobs from here and never returns.
    deli::process::init();
    match Cli::parse().command {
        Command::Lab(args) => lab::run(args),
        Command::Trace(command) => render::run(command),
        Command::Info => info(),
        Command::Worker(args) => worker::run(args),
        Command::Top(args) => top::run(args),
    }
}

fn info() -> ExitCode {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("deli {}", env!("CARGO_PKG_VERSION"));
    println!("cores available:        {cores}");
    println!("default async workers:  {cores}");
    let runtime = match deli::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("deli: cannot build a runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let tasks = 10_000u64;
    let sum = runtime.block_on(async move {
        let tickets: Vec<_> = (0..tasks).map(|n| deli::spawn(async move { n })).collect();
        let mut sum = 0;
        for ticket in tickets {
            sum += ticket.await.unwrap_or(0);
        }
        deli::sleep(Duration::from_millis(1)).await;
        sum
    });
    let elapsed = started.elapsed();
    if sum != (0..tasks).sum::<u64>() {
        eprintln!("deli: self-check failed: wrong sum {sum}");
        return ExitCode::FAILURE;
    }
    println!("self-check:             {tasks} tasks and a timer in {elapsed:.2?}");
    ExitCode::SUCCESS
}
