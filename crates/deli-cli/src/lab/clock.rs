//! Clocks the lab measures with: the system-wide monotonic clock (the same
//! one Python's `time.clock_gettime_ns(CLOCK_MONOTONIC)` reads, so
//! timestamps from threads, worker processes and Python compare), CPU time
//! from `getrusage` and of the calling thread, and the name of the lane a
//! job runs on.

use std::time::Duration;

/// Nanoseconds on `CLOCK_MONOTONIC`, comparable across processes.
pub fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration;
    // CLOCK_MONOTONIC always exists on Linux, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    u64::try_from(now.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(now.tv_nsec).unwrap_or(0)
}

/// CPU time the calling thread has used: what a calibration times, since
/// it does not grow while other programs have the core.
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration;
    // CLOCK_THREAD_CPUTIME_ID exists on Linux for the calling thread.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// User plus system CPU time of this process and of every child it has
/// reaped (`RUSAGE_SELF` + `RUSAGE_CHILDREN`). A child's time counts only
/// once it has been waited for, so take the second reading after pools and
/// interpreters have been shut down and reaped.
pub fn cpu_time() -> Duration {
    usage(libc::RUSAGE_SELF) + usage(libc::RUSAGE_CHILDREN)
}

fn usage(who: libc::c_int) -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid and writable; `who` is one of the two
    // constants getrusage accepts.
    if unsafe { libc::getrusage(who, &mut usage) } != 0 {
        return Duration::ZERO;
    }
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(time: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(time.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(time.tv_usec).unwrap_or(0))
}

/// The lane a job is running on: the thread's name, or its id.
pub fn thread_lane() -> String {
    let thread = std::thread::current();
    match thread.name() {
        Some(name) => name.to_owned(),
        None => format!("{:?}", thread.id()),
    }
}

/// The lane of a job run by a worker process.
pub fn process_lane() -> String {
    format!("process {}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_time_moves_forward() {
        let before = monotonic_ns();
        std::thread::sleep(Duration::from_millis(2));
        assert!(monotonic_ns() >= before + 1_000_000);
    }

    #[test]
    fn thread_cpu_time_counts_work_not_sleep() {
        let before = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(30));
        let slept = thread_cpu_time() - before;
        let mut x = 0u64;
        let until = std::time::Instant::now() + Duration::from_millis(30);
        while std::time::Instant::now() < until {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let worked = thread_cpu_time() - before - slept;
        assert!(slept < Duration::from_millis(10), "{slept:?} while asleep");
        assert!(worked > Duration::ZERO);
    }

    #[test]
    fn cpu_time_counts_work() {
        let before = cpu_time();
        let mut x = 0u64;
        let until = std::time::Instant::now() + Duration::from_millis(30);
        while std::time::Instant::now() < until {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(cpu_time() > before);
    }
}
