//! What the OS says about a worker thread — how much CPU time it has had,
//! and whether it is runnable right now — so the monitor can tell a worker
//! stuck inside one poll from one the OS has simply not run. On a machine
//! busier than its cores, a worker can sit preempted, between polls or
//! inside a short one, for longer than the monitor's threshold; it is not
//! blocked, and reporting it, or starting a spare thread for it, would only
//! add a thread to an oversubscribed machine.
//!
//! The CPU time is the thread's CPU-time clock, named by its thread id (the
//! Linux encoding glibc's `pthread_getcpuclockid` uses: a reading for a
//! thread that has exited fails instead of touching freed memory); the
//! state is the third field of `/proc/self/task/<tid>/stat`. Where either
//! cannot be read, nothing is known and the monitor judges by the poll word
//! alone, as before. Calls `libc` and the file system only.

use std::time::{Duration, Instant};

/// The calling thread's id, for [`sample`].
pub(crate) fn current_tid() -> i32 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

/// One reading of a thread's CPU time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SchedSample {
    at: Instant,
    cpu: Duration,
}

/// Reads thread `tid`'s CPU time; `None` if unknown.
pub(crate) fn sample(tid: i32) -> Option<SchedSample> {
    if tid <= 0 {
        return None;
    }
    // Linux's per-thread CPU clock: (!tid << 3) | CPUCLOCK_PERTHREAD (4) |
    // CPUCLOCK_SCHED (2).
    let clock = ((!tid) << 3) | 6;
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write; a clock id for a thread
    // that is gone makes the call fail with EINVAL, nothing worse.
    if unsafe { libc::clock_gettime(clock, &mut now) } != 0 {
        return None;
    }
    let cpu = Duration::new(
        u64::try_from(now.tv_sec).ok()?,
        u32::try_from(now.tv_nsec).ok()?,
    );
    Some(SchedSample {
        at: Instant::now(),
        cpu,
    })
}

/// Whether thread `tid`, seen at `earlier` and `later`, was starved by the
/// OS rather than blocked: it is runnable (waiting for a CPU, not asleep
/// in a system call) and ran for under a fifth of the time between. A task
/// blocking its worker either sleeps in a system call (not runnable) or
/// computes (on a CPU: on a loaded two-core machine a computing thread
/// still gets well over a fifth), so it is still caught.
pub(crate) fn starved(tid: i32, earlier: SchedSample, later: SchedSample) -> bool {
    let wall = later.at.saturating_duration_since(earlier.at);
    let ran = later.cpu.saturating_sub(earlier.cpu);
    !wall.is_zero() && ran * 5 < wall && is_runnable(tid)
}

/// Whether the thread's state is `R` (running or waiting to run).
fn is_runnable(tid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) else {
        return false;
    };
    // "<tid> (<name, may hold spaces>) <state> ...".
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        == Some("R")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_spinning_thread_gains_cpu_time() {
        let tid = current_tid();
        let Some(first) = sample(tid) else {
            // No per-thread CPU clock here: the monitor goes by poll words.
            return;
        };
        let until = Instant::now() + Duration::from_millis(20);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        let second = sample(tid).expect("readable a moment ago");
        assert!(second.cpu > first.cpu);
    }

    /// The judgement itself, on made-up samples: how much CPU a real
    /// spinning thread gets depends on how loaded the machine is (a test
    /// run on two busy cores once gave one under a fifth of 20 ms).
    #[test]
    fn starved_means_runnable_and_under_a_fifth_of_the_time() {
        let tid = current_tid();
        let at = Instant::now();
        let earlier = SchedSample {
            at,
            cpu: Duration::from_millis(100),
        };
        let after = |ran_ms: u64| SchedSample {
            at: at + Duration::from_millis(20),
            cpu: Duration::from_millis(100 + ran_ms),
        };
        assert!(!starved(tid, earlier, after(20)), "ran all the time");
        assert!(!starved(tid, earlier, after(5)), "ran a quarter of it");
        // This thread is running as it asks, so it is runnable.
        assert!(starved(tid, earlier, after(2)), "ran a tenth of it");
        assert!(!starved(tid, earlier, earlier), "no time between");
    }

    #[test]
    fn a_sleeping_thread_barely_runs_so_its_state_must_decide() {
        let tid = current_tid();
        let Some(first) = sample(tid) else {
            return;
        };
        std::thread::sleep(Duration::from_millis(20));
        let second = sample(tid).expect("readable a moment ago");
        // CPU time alone would take a sleeping (blocked) thread for a
        // starved one: hence `starved` also asks for the runnable state.
        assert!(second.cpu - first.cpu < Duration::from_millis(4));
    }

    #[test]
    fn unknown_threads_are_not_sampled() {
        assert!(sample(0).is_none());
        assert!(sample(-1).is_none());
    }
}
