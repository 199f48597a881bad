//! The `deli` command.
//!
//! Today it reports what a default deli runtime would use on this machine
//! (`deli info`); `deli lab` and `deli trace` join it as the lab and the
//! trace land. It uses only deli's public API.

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
    /// What a default runtime uses here, and a quick check that it runs.
    Info,
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Info => info(),
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
