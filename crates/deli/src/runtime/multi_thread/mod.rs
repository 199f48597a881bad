//! The multi-thread scheduler: one worker per core, work stealing.
//!
//! Each worker owns a bounded local run queue ([`queue`]) and a one-task
//! fast-path slot for the task its current task just woke ([`lifo`]: a
//! message-passing pair then runs back to back, hot in cache). Spawns and
//! wakes from other threads, and the overflow of full local queues, go to
//! the shared injection queue. An idle worker steals half of a busy
//! worker's queue. The slot, unlike tokio's, can be stolen too: a worker
//! stuck in one long poll never hides the task it just woke (see [`worker`]
//! for when a thief takes it).
//!
//! A task that blocks its worker is noticed by the [`monitor`], which runs
//! a spare worker thread in its place (slots in [`spares`]).
//!
//! This file starts a runtime ([`start`]) and routes a woken task to its
//! queue ([`schedule`]). The arrows point one way: this file uses
//! `monitor`, `worker` and `shared`; `monitor` uses `worker` and `spares`;
//! `worker` uses `shared` and `spares`; `shared` holds the slot-level
//! pieces (`queue`, `lifo`, `idle`, `spares`), which use none of the above.

mod idle;
pub(crate) mod lifo;
pub(crate) mod monitor;
pub(crate) mod queue;
pub(crate) mod sched;
mod shared;
pub(crate) mod spares;
pub(crate) mod worker;

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use async_task::ScheduleInfo;

use super::blocking::BlockingPool;
use super::driver::Driver;
use crate::task::Runnable;
use monitor::{Monitor, MonitorConfig};
use shared::Parts;
pub(crate) use shared::{EnterThread, Shared};
use worker::Start;

/// The schedule function of every task of a multi-thread runtime: a wake on
/// one of the runtime's own workers goes to that worker's slot or queue; any
/// other goes through the injector.
pub(crate) fn schedule(task: Runnable, info: ScheduleInfo) {
    let task = match worker::schedule_local(task, info.woken_while_running) {
        Ok(()) => return,
        Err(task) => task,
    };
    let scheduler = task.metadata().scheduler.clone();
    scheduler.schedule_remote(task);
}

/// How to start a multi-thread runtime.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) workers: usize,
    pub(crate) thread_name: String,
    pub(crate) monitor: Option<MonitorConfig>,
    /// The runtime's number in trace lanes.
    pub(crate) trace_id: u64,
    /// Makes each worker thread part of the runtime.
    pub(crate) enter_thread: EnterThread,
}

/// Builds the shared state, starts the worker threads and, if configured,
/// the monitor.
pub(crate) fn start(
    config: Config,
    blocking: BlockingPool,
) -> io::Result<(Arc<Shared>, Vec<JoinHandle<()>>)> {
    let Config {
        workers,
        thread_name,
        monitor,
        trace_id,
        enter_thread,
    } = config;
    let spare_slots = monitor.as_ref().map_or(0, |monitor| monitor.max_spares);
    let keep_alive = monitor
        .as_ref()
        .map_or(Duration::ZERO, |monitor| monitor.keep_alive);
    let parts = Parts {
        workers,
        keep_alive,
        driver: Driver::new()?,
        blocking,
        trace_id,
        thread_name,
        enter_thread,
    };
    let (shared, locals) = Shared::new(parts, workers + spare_slots);
    let mut threads = Vec::with_capacity(workers);
    for (index, local) in locals.into_iter().enumerate() {
        match worker::launch(&shared, index, local, Start::Active) {
            Ok(thread) => threads.push(thread),
            Err((error, _local)) => {
                shared.shutdown(threads, None);
                return Err(error);
            }
        }
    }
    if let Some(config) = monitor {
        let monitor = Monitor::new(shared.clone(), &config);
        let started = std::thread::Builder::new()
            .name(shared.monitor_thread_name())
            .spawn(move || monitor.run());
        match started {
            Ok(thread) => shared.set_monitor(thread),
            Err(error) => {
                shared.shutdown(threads, None);
                return Err(error);
            }
        }
    }
    Ok((shared, threads))
}
