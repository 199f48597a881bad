//! The trace's clock: cheap timestamps on the hot path, converted to
//! durations once, when the trace stops.
//!
//! On x86_64 with an invariant time-stamp counter that the kernel itself
//! trusts (Linux uses it as its clocksource), a timestamp is one `rdtsc`:
//! about 8 ns on the 2-core development VM, against about 20 ns for
//! `Instant::now()` (measured with a 10-million-call loop of each). Ticks
//! are turned into nanoseconds with a rate measured against `Instant`
//! from the first `start()` of the process to each `stop()`, so the rate
//! gets more exact the longer the process traces. Elsewhere (other
//! architectures, Miri, a counter that may drift between cores) a tick is
//! a nanosecond of `Instant` since a process-wide origin.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether ticks come from the time-stamp counter. Decided by [`init`]
/// before tracing starts; read relaxed on every event.
static USE_TSC: AtomicBool = AtomicBool::new(false);

/// The clock's origin, fixed at the first [`init`].
static ORIGIN: OnceLock<Anchor> = OnceLock::new();

/// The shortest span the tick rate is measured over.
const MIN_CALIBRATION: Duration = Duration::from_millis(2);

/// A moment read on both clocks at once.
#[derive(Debug, Clone, Copy)]
pub(super) struct Anchor {
    ticks: u64,
    instant: Instant,
}

impl Anchor {
    pub(super) fn now() -> Anchor {
        let instant = Instant::now();
        Anchor {
            ticks: now(),
            instant,
        }
    }

    pub(super) fn instant(&self) -> Instant {
        self.instant
    }
}

/// Chooses the tick source and fixes the origin; call before the first
/// event (the recorder does, in `start()`).
pub(super) fn init() {
    ORIGIN.get_or_init(|| {
        USE_TSC.store(tsc_is_trustworthy(), Ordering::Relaxed);
        Anchor::now()
    });
}

/// The current time in ticks.
#[inline]
pub(super) fn now() -> u64 {
    if USE_TSC.load(Ordering::Relaxed) {
        if let Some(ticks) = read_tsc() {
            return ticks;
        }
    }
    let origin = ORIGIN
        .get()
        .map_or_else(Instant::now, |origin| origin.instant);
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Turns the ticks of one trace (from `start` to `stop`) into durations
/// since `start`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    start_ticks: u64,
    /// Nanoseconds per tick.
    nanos_per_tick: f64,
}

impl Scale {
    /// The scale for a trace that began at `start`; measured now, at its
    /// end. Waits (at most [`MIN_CALIBRATION`], once per process) when the
    /// process has not traced long enough to measure the tick rate.
    pub(super) fn measure(start: Anchor) -> Scale {
        if !USE_TSC.load(Ordering::Relaxed) {
            return Scale {
                start_ticks: start.ticks,
                nanos_per_tick: 1.0,
            };
        }
        let origin = *ORIGIN.get_or_init(Anchor::now);
        while origin.instant.elapsed() < MIN_CALIBRATION {
            std::hint::spin_loop();
        }
        let end = Anchor::now();
        let nanos = (end.instant - origin.instant).as_nanos() as f64;
        let ticks = end.ticks.wrapping_sub(origin.ticks) as f64;
        let nanos_per_tick = if ticks > 0.0 { nanos / ticks } else { 1.0 };
        Scale {
            start_ticks: start.ticks,
            nanos_per_tick,
        }
    }

    /// The time since the trace's start of a moment read as `ticks`
    /// (zero for a moment just before it).
    pub(super) fn since_start(&self, ticks: u64) -> Duration {
        let elapsed = ticks.saturating_sub(self.start_ticks) as f64 * self.nanos_per_tick;
        Duration::from_nanos(elapsed as u64)
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
#[inline]
fn read_tsc() -> Option<u64> {
    // SAFETY: `rdtsc` has no preconditions on x86_64; it only reads the
    // counter (and is used only after `tsc_is_trustworthy` said so).
    Some(unsafe { std::arch::x86_64::_rdtsc() })
}

#[cfg(not(all(target_arch = "x86_64", not(miri))))]
#[inline]
fn read_tsc() -> Option<u64> {
    None
}

/// An invariant counter (CPUID 0x8000_0007, EDX bit 8) that, on Linux, the
/// kernel also chose as its clocksource (it checks that the counters of
/// all cores agree before it does).
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn tsc_is_trustworthy() -> bool {
    use std::arch::x86_64::__cpuid;
    let highest = __cpuid(0x8000_0000).eax;
    if highest < 0x8000_0007 || __cpuid(0x8000_0007).edx & (1 << 8) == 0 {
        return false;
    }
    if cfg!(target_os = "linux") {
        return std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )
        .is_ok_and(|source| source.trim() == "tsc");
    }
    true
}

#[cfg(not(all(target_arch = "x86_64", not(miri))))]
fn tsc_is_trustworthy() -> bool {
    false
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn ticks_convert_to_about_the_elapsed_time() {
        init();
        let start = Anchor::now();
        std::thread::sleep(Duration::from_millis(20));
        let middle = now();
        let scale = Scale::measure(start);
        let measured = scale.since_start(middle);
        let actual = middle_bound(start);
        assert!(measured >= Duration::from_millis(15), "{measured:?}");
        assert!(measured <= actual, "{measured:?} > {actual:?}");
        assert_eq!(scale.since_start(0), Duration::ZERO);
    }

    fn middle_bound(start: Anchor) -> Duration {
        start.instant().elapsed() + Duration::from_millis(1)
    }

    #[test]
    fn ticks_never_go_back_on_one_thread() {
        init();
        let mut last = now();
        for _ in 0..10_000 {
            let next = now();
            assert!(next >= last);
            last = next;
        }
    }
}
