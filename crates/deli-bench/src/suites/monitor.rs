//! The `monitor` suite: what deli's monitor (the thread that compensates a
//! worker blocked by a long poll) costs, and what it buys.
//!
//! - `BENCH monitor/overhead-<case> deli=<on> off=<off> ratio=<on/off>`:
//!   each multi-thread scheduler case on deli with the monitor on (the
//!   default) against deli with it off. The current-thread flavour has no
//!   monitor, so it has no line.
//! - `LATENCY monitor/blocked-worker deli_p99_ms=<x> tokio_p99_ms=<y>`: a
//!   ticker due every 1 ms for 2 s while one of the 2 workers runs a 1.5 s
//!   blocking call (spawned by the ticker, so it lands on the ticker's own
//!   worker); the 99th percentile of how late each tick was, on deli and
//!   on tokio (the median over a few rounds).
//! - `LATENCY monitor/blocked-worker-woken ...`: the same, except that the
//!   blocking task first wakes the ticker (which is waiting for it) and
//!   only then blocks — a task that sends a message and then does a
//!   blocking call. The woken ticker sits in the blocked worker's
//!   fast-path slot: in tokio that slot cannot be stolen, so the ticker
//!   waits out the whole blocking call (tokio issue 4730's kind of stall).
//!
//! Owns: [`run`] and the ticker. Calls: [`super::time_one_run`], the
//! scheduler cases, [`crate::harness`], [`crate::oneshot`],
//! [`crate::runtimes`].

use std::io;
use std::time::{Duration, Instant};

use super::scheduler::{ChainedSpawn, PingPong, SpawnMany, SpawnManyRemote, YieldMany};
use super::{time_one_run, Case};
use crate::harness::Harness;
use crate::oneshot;
use crate::runtimes::{BenchRuntime, Deli, DeliNoMonitor, Flavor, Tokio};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "monitor";

const TICK: Duration = Duration::from_millis(1);
const TICKS: u32 = 2_000;
const BLOCKING_CALL: Duration = Duration::from_millis(1_500);
const LATENCY_ROUNDS: usize = 3;

/// Runs the overhead comparisons, then the latency one.
pub fn run(harness: &Harness) -> io::Result<()> {
    overhead(harness, &SpawnMany)?;
    overhead(harness, &SpawnManyRemote)?;
    overhead(harness, &YieldMany)?;
    overhead(harness, &PingPong)?;
    overhead(harness, &ChainedSpawn)?;
    blocked_worker_latency(harness, Scenario::SpawnThenTick)?;
    blocked_worker_latency(harness, Scenario::WokenThenBlocked)
}

/// How the blocking call meets the ticker.
#[derive(Debug, Clone, Copy)]
enum Scenario {
    /// The ticker spawns the blocking task and goes on ticking.
    SpawnThenTick,
    /// Halfway through, the ticker waits for a task that wakes it and
    /// then blocks its worker.
    WokenThenBlocked,
}

fn overhead<C: Case>(harness: &Harness, case: &C) -> io::Result<()> {
    let name = format!("{SUITE}/overhead-{}-mt", case.name());
    if !harness.selects(&name) {
        return Ok(());
    }
    let (on, off) = {
        let _guard = harness.watch(format!("{name}: building the runtimes"));
        (
            Deli::build(Flavor::MultiThread)?,
            DeliNoMonitor::build(Flavor::MultiThread)?,
        )
    };
    let comparison = harness.compare(
        &name,
        || time_one_run(&on, case),
        || time_one_run(&off, case),
    );
    println!("{}", comparison.line("off"));
    let _guard = harness.watch(format!("{name}: dropping the runtimes"));
    drop(on);
    drop(off);
    Ok(())
}

fn blocked_worker_latency(harness: &Harness, scenario: Scenario) -> io::Result<()> {
    let name = match scenario {
        Scenario::SpawnThenTick => format!("{SUITE}/blocked-worker"),
        Scenario::WokenThenBlocked => format!("{SUITE}/blocked-worker-woken"),
    };
    if !harness.selects(&name) {
        return Ok(());
    }
    let mut deli = Vec::with_capacity(LATENCY_ROUNDS);
    let mut tokio = Vec::with_capacity(LATENCY_ROUNDS);
    for round in 0..LATENCY_ROUNDS {
        let _guard = harness.watch(format!("{name} (round {round})"));
        deli.push(p99_of_ticker::<Deli>(scenario)?);
        tokio.push(p99_of_ticker::<Tokio>(scenario)?);
    }
    println!(
        "LATENCY {name} deli_p99_ms={:.3} tokio_p99_ms={:.3}",
        median_millis(&mut deli),
        median_millis(&mut tokio)
    );
    Ok(())
}

/// One run on a fresh `R`: the 99th-percentile lateness of the ticks.
fn p99_of_ticker<R: BenchRuntime>(scenario: Scenario) -> io::Result<Duration> {
    let runtime = R::build(Flavor::MultiThread)?;
    let mut lateness = runtime.block_on(async {
        let (done, delays) = oneshot::channel();
        R::spawn_detached(async move {
            let lateness = match scenario {
                Scenario::SpawnThenTick => {
                    R::spawn_detached(async { std::thread::sleep(BLOCKING_CALL) });
                    tick::<R>(None).await
                }
                Scenario::WokenThenBlocked => tick::<R>(Some(TICKS / 4)).await,
            };
            let _ = done.send(lateness);
        });
        delays.await.unwrap_or_default()
    });
    drop(runtime);
    lateness.sort_unstable();
    let index = (lateness.len() * 99).div_ceil(100).saturating_sub(1);
    Ok(lateness.get(index).copied().unwrap_or_default())
}

/// Ticks every [`TICK`] for [`TICKS`] ticks, each due at a fixed time from
/// the start (a late tick is followed by the overdue ones at once), and
/// returns how late each one was. At tick `woken_at`, instead of sleeping,
/// it waits for a task that wakes it and then blocks its worker.
async fn tick<R: BenchRuntime>(woken_at: Option<u32>) -> Vec<Duration> {
    let start = Instant::now();
    let mut lateness = Vec::with_capacity(TICKS as usize);
    for n in 1..=TICKS {
        if woken_at == Some(n) {
            let (wake, woken) = oneshot::channel();
            R::spawn_detached(async move {
                let _ = wake.send(());
                std::thread::sleep(BLOCKING_CALL);
            });
            let _ = woken.await;
        }
        let due = start + TICK * n;
        let now = Instant::now();
        if now < due {
            R::sleep(due - now).await;
        }
        lateness.push(Instant::now().saturating_duration_since(due));
    }
    lateness
}

fn median_millis(samples: &mut [Duration]) -> f64 {
    samples.sort_unstable();
    samples
        .get(samples.len() / 2)
        .map_or(0.0, |median| median.as_secs_f64() * 1_000.0)
}
