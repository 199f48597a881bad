//! The `timers` suite: 100,000 concurrent sleeps of 1–50 ms.
//!
//! Owns: the `sleep_100k` case, its deterministic duration list and [`run`].
//! Calls: [`super::run_case`], [`crate::countdown`], [`crate::runtimes`].

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{run_case, Case};
use crate::countdown::Countdown;
use crate::harness::Harness;
use crate::runtimes::{BenchRuntime, Flavor};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "timers";

const SLEEPERS: usize = 100_000;
const SHORTEST_SLEEP: Duration = Duration::from_millis(1);
const LONGEST_SLEEP: Duration = Duration::from_millis(50);
/// Fixed so every run, and both runtimes, sleep exactly the same list.
const SEED: u64 = 0x00de_11be_5eed;

/// Runs every case on both flavors.
pub fn run(harness: &Harness) -> io::Result<()> {
    let sleep_100k = Sleep100k {
        durations: sleep_durations(SLEEPERS, SEED),
    };
    for flavor in Flavor::ALL {
        run_case(harness, SUITE, &sleep_100k, flavor)?;
    }
    Ok(())
}

/// A task spawns one task per duration; each sleeps that long and counts down.
struct Sleep100k {
    durations: Arc<[Duration]>,
}

impl Case for Sleep100k {
    fn name(&self) -> &'static str {
        "sleep_100k"
    }

    fn body<R: BenchRuntime>(&self) -> impl Future<Output = ()> {
        let durations = Arc::clone(&self.durations);
        let longest = durations.iter().max().copied().unwrap_or_default();
        async move {
            let started = Instant::now();
            let (countdown, all_done) = Countdown::new(durations.len());
            R::spawn_detached(async move {
                for &duration in durations.iter() {
                    let countdown = countdown.clone();
                    R::spawn_detached(async move {
                        R::sleep(duration).await;
                        countdown.count_down();
                    });
                }
            });
            if all_done.await.is_err() {
                panic!("{SUITE}/sleep_100k: a sleeper was dropped before it woke");
            }
            // Cheap sanity check that the timers really waited.
            if started.elapsed() < longest {
                panic!("{SUITE}/sleep_100k: all sleepers woke before the longest sleep ({longest:?}) was over");
            }
        }
    }
}

/// `count` durations spread uniformly (microsecond steps) over
/// [`SHORTEST_SLEEP`, `LONGEST_SLEEP`], from a splitmix64 stream seeded by `seed`.
fn sleep_durations(count: usize, seed: u64) -> Arc<[Duration]> {
    let shortest = SHORTEST_SLEEP.as_micros() as u64;
    let choices = LONGEST_SLEEP.as_micros() as u64 - shortest + 1;
    let mut state = seed;
    (0..count)
        .map(|_| Duration::from_micros(shortest + splitmix64(&mut state) % choices))
        .collect()
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_deterministic_and_in_range() {
        let first = sleep_durations(1_000, SEED);
        assert_eq!(first, sleep_durations(1_000, SEED));
        assert!(first
            .iter()
            .all(|d| (SHORTEST_SLEEP..=LONGEST_SLEEP).contains(d)));
        assert_ne!(first, sleep_durations(1_000, SEED + 1));
    }
}
