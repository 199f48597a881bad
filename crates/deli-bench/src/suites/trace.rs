//! The `trace` suite: what recording a trace costs the scheduler.
//!
//! `BENCH trace/<case>-mt deli=<traced> off=<untraced> ratio=<traced/untraced>`:
//! each multi-thread scheduler case on one deli runtime, run with
//! `deli::trace` on and off in turn. A traced run starts recording just
//! before the timed region and stops just after it: the timed part is the
//! cost of recording every transition; collecting the trace in `stop()`
//! (merging and sorting the threads' logs) is not timed, and its median is
//! printed to stderr. A run whose trace dropped events (over the cap) is
//! reported on stderr too, since its ratio then understates the cost.
//!
//! Owns: [`run`]. Calls: [`super::time_one_run`], the scheduler cases,
//! [`crate::harness`], [`crate::runtimes`].

use std::cell::RefCell;
use std::io;
use std::time::{Duration, Instant};

use super::scheduler::{ChainedSpawn, PingPong, SpawnMany, SpawnManyRemote, YieldMany};
use super::{time_one_run, Case};
use crate::harness::{median_nanos, Harness};
use crate::runtimes::{BenchRuntime, Deli, Flavor};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "trace";

/// Runs every multi-thread scheduler case traced against untraced.
pub fn run(harness: &Harness) -> io::Result<()> {
    overhead(harness, &SpawnMany)?;
    overhead(harness, &SpawnManyRemote)?;
    overhead(harness, &YieldMany)?;
    overhead(harness, &PingPong)?;
    overhead(harness, &ChainedSpawn)?;
    Ok(())
}

fn overhead<C: Case>(harness: &Harness, case: &C) -> io::Result<()> {
    let name = format!("{SUITE}/{}-mt", case.name());
    if !harness.selects(&name) {
        return Ok(());
    }
    let runtime = {
        let _guard = harness.watch(format!("{name}: building the runtime"));
        Deli::build(Flavor::MultiThread)?
    };
    let collecting = RefCell::new(Vec::new());
    let events = RefCell::new(0usize);
    let dropped = RefCell::new(0u64);
    let comparison = harness.compare(
        &name,
        || {
            deli::trace::start();
            let elapsed = time_one_run(&runtime, case);
            let stopping = Instant::now();
            let trace = deli::trace::stop();
            collecting.borrow_mut().push(stopping.elapsed());
            *events.borrow_mut() = trace.events().len();
            *dropped.borrow_mut() += trace.dropped_events();
            elapsed
        },
        || time_one_run(&runtime, case),
    );
    println!("{}", comparison.line("off"));
    let collecting: Vec<Duration> = collecting.into_inner();
    eprintln!(
        "  {name}: {} events a run, stop() took {} ns (median){}",
        events.into_inner(),
        median_nanos(&collecting),
        match dropped.into_inner() {
            0 => String::new(),
            dropped => format!(", {dropped} events dropped over the cap"),
        }
    );
    let _guard = harness.watch(format!("{name}: dropping the runtime"));
    drop(runtime);
    Ok(())
}
