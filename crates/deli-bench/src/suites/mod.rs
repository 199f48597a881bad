//! The benchmark suites and the glue that runs one case on both runtimes.
//!
//! Owns: [`Case`], [`run_case`], and [`time_tiny_jobs`] for the pool
//! suites that run many tiny jobs. Calls: [`crate::harness`] to measure and
//! [`crate::runtimes`] to build the runtimes; each suite module only writes
//! case bodies against [`BenchRuntime`].

pub mod cluster;
pub mod fs;
pub mod http;
pub mod monitor;
pub mod pool;
pub mod process;
pub mod python;
pub mod scheduler;
pub mod sync;
pub mod tcp;
pub mod timers;
pub mod trace;

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use crate::harness::Harness;
use crate::runtimes::{BenchRuntime, Deli, Flavor, Tokio};

/// One benchmark shape, written once for every runtime.
pub trait Case {
    /// The case's name inside its suite, e.g. `spawn_many`.
    fn name(&self) -> &'static str;

    /// The work one timed run performs, from inside `R`'s `block_on`.
    fn body<R: BenchRuntime>(&self) -> impl Future<Output = ()>;
}

/// Runs `case` on deli and tokio in `flavor` (both runtimes built once,
/// outside the timed region) and prints its `BENCH` line, unless the filter
/// excludes `<suite>/<case>-<flavor>`.
pub fn run_case<C: Case>(
    harness: &Harness,
    suite: &str,
    case: &C,
    flavor: Flavor,
) -> io::Result<()> {
    let name = format!("{suite}/{}-{}", case.name(), flavor.suffix());
    if !harness.selects(&name) {
        return Ok(());
    }
    let (deli, tokio) = {
        let _guard = harness.watch(format!("{name}: building the runtimes"));
        (Deli::build(flavor)?, Tokio::build(flavor)?)
    };
    let comparison = harness.compare(
        &name,
        || time_one_run(&deli, case),
        || time_one_run(&tokio, case),
    );
    println!("{comparison}");
    let _guard = harness.watch(format!("{name}: dropping the deli runtime"));
    drop(deli);
    let _guard = harness.watch(format!("{name}: dropping the tokio runtime"));
    drop(tokio);
    Ok(())
}

pub(crate) fn time_one_run<R: BenchRuntime, C: Case>(runtime: &R, case: &C) -> Duration {
    let body = case.body::<R>();
    let start = Instant::now();
    runtime.block_on(body);
    start.elapsed()
}

/// Times one run of `jobs` tiny jobs that return their argument, `0` to
/// `jobs - 1`: `run` submits them and sums what they return (a failed job
/// counting 0), and the sum is checked, so a lost job fails the bench.
pub(crate) fn time_tiny_jobs(jobs: u64, run: impl FnOnce() -> u64) -> Duration {
    let start = Instant::now();
    let total = run();
    let elapsed = start.elapsed();
    assert_eq!(total, jobs * (jobs - 1) / 2);
    elapsed
}

/// What `tickets` hold, summed; a failed job counts 0.
pub(crate) fn sum_tickets(tickets: impl IntoIterator<Item = deli::Ticket<u64>>) -> u64 {
    tickets
        .into_iter()
        .map(|ticket| ticket.wait_blocking().unwrap_or(0))
        .sum()
}
