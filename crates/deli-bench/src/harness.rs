//! The measuring loop: interleaves deli and tokio runs round by round,
//! takes medians and formats the `BENCH` lines; plus a watchdog that ends
//! the process if one run hangs.
//!
//! Owns: [`Settings`], [`Harness`], [`Comparison`], [`median_nanos`],
//! [`format_ratio`]. Calls: `std` and `libc` (to kill a suite's helper
//! processes when a run hangs); it knows nothing of runtimes, it just calls
//! one closure per side that performs and times a single run.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How the harness measures, as given on the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Timed rounds per comparison (one deli run and one tokio run each).
    pub rounds: usize,
    /// Untimed rounds before them.
    pub warmup: usize,
    /// Only comparisons whose name contains this run.
    pub filter: Option<String>,
    /// A run (or runtime build/teardown) taking longer than this is a hang.
    pub hang_after: Duration,
    /// Pause before every run so the other runtime's idle workers are parked.
    pub settle: Duration,
    /// Print min / median / max of each side to stderr.
    pub verbose: bool,
}

/// The two sides of a comparison, in the order each round runs them.
const SIDES: [&str; 2] = ["deli", "tokio"];

/// Runs comparisons under one [`Settings`].
#[derive(Debug)]
pub struct Harness {
    settings: Settings,
    watchdog: Arc<Mutex<Watchdog>>,
}

/// What the watchdog looks at: the run it is timing, and the process groups
/// to kill before it ends the process, so that a hang leaves no server or
/// worker of a suite's behind (exiting skips their guards' `Drop`).
#[derive(Debug, Default)]
struct Watchdog {
    watched: Option<Watched>,
    process_groups: Vec<u32>,
}

/// What the watchdog is currently timing.
#[derive(Debug)]
struct Watched {
    what: String,
    deadline: Instant,
    limit: Duration,
}

/// Disarms the watchdog when dropped.
#[derive(Debug)]
pub struct WatchGuard<'a> {
    harness: &'a Harness,
}

/// The medians of one comparison; its `Display` is the `BENCH` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// `<suite>/<case>`.
    pub name: String,
    /// Median nanoseconds of deli's timed runs.
    pub deli_nanos: u128,
    /// Median nanoseconds of tokio's timed runs.
    pub tokio_nanos: u128,
}

impl Harness {
    /// A harness measuring under `settings`; starts the watchdog thread.
    pub fn new(settings: Settings) -> Harness {
        let watchdog = Arc::new(Mutex::new(Watchdog::default()));
        let observed = Arc::clone(&watchdog);
        // Polls rarely so it does not disturb the runs it watches; a hang is
        // reported at most a quarter second late.
        thread::Builder::new()
            .name("deli-bench-watchdog".into())
            .spawn(move || loop {
                thread::sleep(Duration::from_millis(250));
                let current = observed.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(watched) = current.watched.as_ref() {
                    if Instant::now() > watched.deadline {
                        eprintln!(
                            "HANG {} did not finish within {:?}; aborting",
                            watched.what, watched.limit
                        );
                        for &group in &current.process_groups {
                            kill_process_group(group);
                        }
                        std::process::exit(3);
                    }
                }
            })
            .map(drop)
            .unwrap_or_else(|error| eprintln!("deli-bench: no watchdog ({error})"));
        Harness { settings, watchdog }
    }

    /// The same harness (settings, filter, watchdog) for comparisons whose
    /// single runs take minutes: each run may take up to `per_run` (or the
    /// command line's limit, if longer) before it counts as hung, and at
    /// most one warm-up round runs, so a slow peer does not multiply the
    /// suite's time by the warm-up count.
    pub fn for_slow_runs(&self, per_run: Duration) -> Harness {
        let mut settings = self.settings.clone();
        settings.hang_after = settings.hang_after.max(per_run);
        settings.warmup = settings.warmup.min(1);
        Harness {
            settings,
            watchdog: Arc::clone(&self.watchdog),
        }
    }

    /// Has a hang kill the process group `group` (a child started with
    /// `process_group(0)`: its id) before the process exits; undone by
    /// [`forget_on_hang`](Harness::forget_on_hang) once the child is gone.
    pub fn kill_on_hang(&self, group: u32) {
        self.lock_watchdog().process_groups.push(group);
    }

    /// Takes back [`kill_on_hang`](Harness::kill_on_hang): `group` has been
    /// reaped, and its id may soon belong to someone else's processes.
    pub fn forget_on_hang(&self, group: u32) {
        self.lock_watchdog().process_groups.retain(|&g| g != group);
    }

    /// Whether the comparison called `name` passes the filter.
    pub fn selects(&self, name: &str) -> bool {
        self.settings
            .filter
            .as_deref()
            .is_none_or(|wanted| name.contains(wanted))
    }

    /// Arms the watchdog for `what` until the guard is dropped.
    pub fn watch(&self, what: impl Into<String>) -> WatchGuard<'_> {
        let limit = self.settings.hang_after;
        self.lock_watchdog().watched = Some(Watched {
            what: what.into(),
            deadline: Instant::now() + limit,
            limit,
        });
        WatchGuard { harness: self }
    }

    /// Runs the comparison called `name` if the filter selects it (see
    /// [`compare`](Harness::compare)) and prints its `BENCH` line, naming
    /// the second side `peer`.
    pub fn bench(
        &self,
        name: &str,
        peer: &str,
        run_deli: impl FnMut() -> Duration,
        run_peer: impl FnMut() -> Duration,
    ) {
        if self.selects(name) {
            println!("{}", self.compare(name, run_deli, run_peer).line(peer));
        }
    }

    /// Runs `warmup + rounds` rounds of "one deli run, then one tokio run";
    /// each closure performs one run and returns how long it took.
    pub fn compare(
        &self,
        name: &str,
        mut run_deli: impl FnMut() -> Duration,
        mut run_tokio: impl FnMut() -> Duration,
    ) -> Comparison {
        let Settings {
            rounds,
            warmup,
            settle,
            ..
        } = self.settings;
        let mut samples: [Vec<Duration>; 2] =
            [Vec::with_capacity(rounds), Vec::with_capacity(rounds)];
        for round in 0..warmup + rounds {
            for (side, samples) in SIDES.iter().zip(samples.iter_mut()) {
                thread::sleep(settle);
                let elapsed = {
                    let _guard = self.watch(format!("{name} ({side}, round {round})"));
                    if *side == "deli" {
                        run_deli()
                    } else {
                        run_tokio()
                    }
                };
                if round >= warmup {
                    samples.push(elapsed);
                }
            }
        }
        if self.settings.verbose {
            for (side, samples) in SIDES.iter().zip(samples.iter()) {
                let min = samples.iter().min().copied().unwrap_or_default();
                let max = samples.iter().max().copied().unwrap_or_default();
                eprintln!(
                    "  {name} {side}: min={} median={} max={} ns over {} runs",
                    min.as_nanos(),
                    median_nanos(samples),
                    max.as_nanos(),
                    samples.len()
                );
            }
        }
        let [deli, tokio] = samples;
        Comparison {
            name: name.to_owned(),
            deli_nanos: median_nanos(&deli),
            tokio_nanos: median_nanos(&tokio),
        }
    }

    fn lock_watchdog(&self) -> std::sync::MutexGuard<'_, Watchdog> {
        self.watchdog.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for WatchGuard<'_> {
    fn drop(&mut self) {
        self.harness.lock_watchdog().watched = None;
    }
}

/// SIGKILL to every process of the group `group`.
fn kill_process_group(group: u32) {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return;
    };
    if group <= 1 {
        return; // -1 and -0 would mean "every process" and "our own group"
    }
    // SAFETY: kill(2) takes no pointers; a negative pid names a process
    // group, and a group that is already gone only makes it fail (ESRCH).
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

impl Comparison {
    /// The `BENCH` line with `peer` naming the other side (`tokio` in the
    /// [`Display`](fmt::Display) form; `rayon`, `python`, `off`, …).
    pub fn line(&self, peer: &str) -> String {
        format!(
            "BENCH {} deli={} {peer}={} ratio={}",
            self.name,
            self.deli_nanos,
            self.tokio_nanos,
            format_ratio(self.deli_nanos, self.tokio_nanos)
        )
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line("tokio"))
    }
}

/// The median of `samples` in nanoseconds (the mean of the two middle ones
/// for an even count; 0 for none).
pub fn median_nanos(samples: &[Duration]) -> u128 {
    let mut nanos: Vec<u128> = samples.iter().map(Duration::as_nanos).collect();
    nanos.sort_unstable();
    let middle = nanos.len() / 2;
    match nanos.len() {
        0 => 0,
        len if len % 2 == 1 => nanos[middle],
        _ => (nanos[middle - 1] + nanos[middle]) / 2,
    }
}

/// `deli / tokio` with three decimals; below 1 means deli was faster.
pub fn format_ratio(deli_nanos: u128, tokio_nanos: u128) -> String {
    if tokio_nanos == 0 {
        return "nan".to_owned();
    }
    // Precision loss only past 2^53 ns (about 104 days per run).
    format!("{:.3}", deli_nanos as f64 / tokio_nanos as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_nanos).collect()
    }

    fn quiet_settings(rounds: usize, warmup: usize) -> Settings {
        Settings {
            rounds,
            warmup,
            filter: None,
            hang_after: Duration::from_secs(60),
            settle: Duration::ZERO,
            verbose: false,
        }
    }

    #[test]
    fn median_of_odd_count_is_the_middle_sample() {
        assert_eq!(median_nanos(&nanos(&[30, 10, 20])), 20);
        assert_eq!(median_nanos(&nanos(&[5])), 5);
    }

    #[test]
    fn median_of_even_count_averages_the_middle_pair() {
        assert_eq!(median_nanos(&nanos(&[40, 10, 30, 20])), 25);
    }

    #[test]
    fn median_of_nothing_is_zero() {
        assert_eq!(median_nanos(&[]), 0);
    }

    #[test]
    fn ratio_has_three_decimals() {
        assert_eq!(format_ratio(1, 3), "0.333");
        assert_eq!(format_ratio(2, 1), "2.000");
        assert_eq!(format_ratio(1_999, 1_000), "1.999");
        assert_eq!(format_ratio(5, 0), "nan");
    }

    #[test]
    fn bench_line_has_the_agreed_shape() {
        let comparison = Comparison {
            name: "scheduler/yield_many-mt".into(),
            deli_nanos: 1_500,
            tokio_nanos: 1_000,
        };
        assert_eq!(
            comparison.to_string(),
            "BENCH scheduler/yield_many-mt deli=1500 tokio=1000 ratio=1.500"
        );
    }

    #[test]
    fn compare_interleaves_sides_and_skips_warmup() {
        let harness = Harness::new(quiet_settings(3, 2));
        let order = std::cell::RefCell::new(Vec::new());
        let mut deli_run = 0u64;
        let mut tokio_run = 0u64;
        let comparison = harness.compare(
            "suite/case",
            || {
                order.borrow_mut().push('d');
                deli_run += 1;
                Duration::from_nanos(deli_run * 10)
            },
            || {
                order.borrow_mut().push('t');
                tokio_run += 1;
                Duration::from_nanos(tokio_run)
            },
        );
        assert_eq!(order.into_inner(), "dtdtdtdtdt".chars().collect::<Vec<_>>());
        // Timed runs are the 3rd..5th: deli 30, 40, 50; tokio 3, 4, 5.
        assert_eq!(comparison.deli_nanos, 40);
        assert_eq!(comparison.tokio_nanos, 4);
    }

    #[test]
    fn filter_selects_by_substring() {
        let mut settings = quiet_settings(1, 0);
        settings.filter = Some("-ct".into());
        let harness = Harness::new(settings);
        assert!(harness.selects("scheduler/spawn_many-ct"));
        assert!(!harness.selects("scheduler/spawn_many-mt"));
    }
}
