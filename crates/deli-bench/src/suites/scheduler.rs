//! The `scheduler` suite: the shapes of tokio's own scheduler benchmark
//! (`benches/rt_multi_threaded.rs`), rewritten against [`BenchRuntime`].
//!
//! Owns: the case bodies `spawn_many`, `spawn_many_remote`, `yield_many`,
//! `ping_pong`, `chained_spawn` and [`run`]. Calls: [`super::run_case`],
//! [`crate::countdown`], [`crate::oneshot`], [`crate::runtimes`].

use std::io;

use super::{run_case, Case};
use crate::countdown::Countdown;
use crate::harness::Harness;
use crate::oneshot;
use crate::runtimes::{BenchRuntime, Flavor};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "scheduler";

const SPAWN_MANY_TASKS: usize = 10_000;
const YIELD_MANY_TASKS: usize = 200;
const YIELDS_PER_TASK: usize = 1_000;
const PING_PONGS: usize = 1_000;
const CHAIN_LENGTH: usize = 1_000;

/// Runs every case on both flavors.
pub fn run(harness: &Harness) -> io::Result<()> {
    for flavor in Flavor::ALL {
        run_case(harness, SUITE, &SpawnMany, flavor)?;
        run_case(harness, SUITE, &SpawnManyRemote, flavor)?;
        run_case(harness, SUITE, &YieldMany, flavor)?;
        run_case(harness, SUITE, &PingPong, flavor)?;
        run_case(harness, SUITE, &ChainedSpawn, flavor)?;
    }
    Ok(())
}

/// Awaits a completion signal; a cancelled one means the runtime dropped a
/// task that was still supposed to run, which no runtime may do here.
async fn expect_completion(all_done: oneshot::Receiver<()>, case: &str) {
    if all_done.await.is_err() {
        panic!("{SUITE}/{case}: a task was dropped before it signalled completion");
    }
}

/// A task spawns 10,000 tasks onto its own worker; each counts down.
pub struct SpawnMany;

impl Case for SpawnMany {
    fn name(&self) -> &'static str {
        "spawn_many"
    }

    async fn body<R: BenchRuntime>(&self) {
        let (countdown, all_done) = Countdown::new(SPAWN_MANY_TASKS);
        R::spawn_detached(async move {
            for _ in 0..SPAWN_MANY_TASKS {
                let countdown = countdown.clone();
                R::spawn_detached(async move { countdown.count_down() });
            }
        });
        expect_completion(all_done, self.name()).await;
    }
}

/// The same 10,000 spawns straight from `block_on`: on the multi-thread
/// runtimes that thread is not a worker, so every spawn is a remote one.
pub struct SpawnManyRemote;

impl Case for SpawnManyRemote {
    fn name(&self) -> &'static str {
        "spawn_many_remote"
    }

    async fn body<R: BenchRuntime>(&self) {
        let (countdown, all_done) = Countdown::new(SPAWN_MANY_TASKS);
        for _ in 0..SPAWN_MANY_TASKS {
            let countdown = countdown.clone();
            R::spawn_detached(async move { countdown.count_down() });
        }
        expect_completion(all_done, self.name()).await;
    }
}

/// 200 tasks each yield 1,000 times, then count down.
pub struct YieldMany;

impl Case for YieldMany {
    fn name(&self) -> &'static str {
        "yield_many"
    }

    async fn body<R: BenchRuntime>(&self) {
        let (countdown, all_done) = Countdown::new(YIELD_MANY_TASKS);
        for _ in 0..YIELD_MANY_TASKS {
            let countdown = countdown.clone();
            R::spawn_detached(async move {
                for _ in 0..YIELDS_PER_TASK {
                    R::yield_now().await;
                }
                countdown.count_down();
            });
        }
        expect_completion(all_done, self.name()).await;
    }
}

/// A task spawns 1,000 pingers at once; each spawns a partner and they pass
/// one message each way through oneshots, then the pinger counts down.
pub struct PingPong;

impl Case for PingPong {
    fn name(&self) -> &'static str {
        "ping_pong"
    }

    async fn body<R: BenchRuntime>(&self) {
        let (countdown, all_done) = Countdown::new(PING_PONGS);
        R::spawn_detached(async move {
            for _ in 0..PING_PONGS {
                let countdown = countdown.clone();
                R::spawn_detached(ping_then_count_down::<R>(countdown));
            }
        });
        expect_completion(all_done, self.name()).await;
    }
}

async fn ping_then_count_down<R: BenchRuntime>(countdown: std::sync::Arc<Countdown>) {
    let (ping, pinged) = oneshot::channel::<()>();
    let (pong, ponged) = oneshot::channel::<()>();
    R::spawn_detached(async move {
        if pinged.await.is_ok() {
            // The pinger waits for this; if it is gone there is no one to tell.
            let _ = pong.send(());
        }
    });
    // The partner holds the receiver until it has answered.
    let _ = ping.send(());
    if ponged.await.is_ok() {
        countdown.count_down();
    }
}

/// Each task spawns the next, 1,000 deep; the last one signals.
pub struct ChainedSpawn;

impl Case for ChainedSpawn {
    fn name(&self) -> &'static str {
        "chained_spawn"
    }

    async fn body<R: BenchRuntime>(&self) {
        let (done, all_done) = oneshot::channel();
        R::spawn_detached(async move { spawn_chain_link::<R>(CHAIN_LENGTH, done) });
        expect_completion(all_done, self.name()).await;
    }
}

fn spawn_chain_link<R: BenchRuntime>(links_left: usize, done: oneshot::Sender<()>) {
    if links_left == 0 {
        // The waiter only goes away if the run was abandoned.
        let _ = done.send(());
    } else {
        R::spawn_detached(async move { spawn_chain_link::<R>(links_left - 1, done) });
    }
}
