//! [`Interval`], a timer that ticks at a fixed period, made by
//! [`interval`](super::interval) and [`interval_at`](super::interval_at), and
//! [`MissedTickBehavior`], what it does after falling behind. It may call
//! only [`Sleep`].

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use super::driver::far_future;
use super::sleep::Sleep;

/// The shortest period an [`Interval`] takes: the timers' resolution. A
/// shorter period, zero included, is raised to it rather than refused, since
/// a zero period is almost always a computed value that reached its lower
/// edge, and ticking as fast as the timers can is its plain meaning.
pub(crate) const MIN_PERIOD: Duration = Duration::from_millis(1);

/// What an [`Interval`] does when ticks were missed: when, at the moment a
/// tick is taken, the instant of the tick after it has already passed (the
/// task was busy, the machine overloaded or suspended).
///
/// With a period of 10 ms, ticks due at 10, 20, 30, 40, 50 ms, and the tick
/// of 10 ms taken only at 35 ms, the following ticks come at:
///
/// | behavior | ticks after the one taken at 35 ms |
/// |---|---|
/// | `Burst` | 20, 30 at once (35 ms), then 40, 50, ... |
/// | `Delay` | 45, 55, 65, ... (a full period after the late tick) |
/// | `Skip` | 40, 50, ... (20 and 30 are dropped) |
///
/// The default is **`Skip`**: after a stall it yields one tick right away
/// and then returns to the original schedule. `Burst` would answer a stall
/// with a storm of catch-up ticks, landing extra work on a system that just
/// showed it was short of time (after a laptop's suspend: thousands), and
/// `Delay` would shift the schedule for good after every hiccup. Choose
/// `Burst` when every tick must be counted, `Delay` when what matters is the
/// spacing between ticks.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::time::MissedTickBehavior;
///
/// deli::run(async {
///     let mut interval = deli::time::interval(Duration::from_millis(2));
///     assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Skip);
///     interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
///     interval.tick().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum MissedTickBehavior {
    /// Yield every missed tick, as fast as they are taken, until caught up;
    /// the count of ticks always matches the time elapsed.
    Burst,
    /// Schedule the next tick a full period after the late one was taken;
    /// ticks are never closer than a period, the original phase is lost.
    Delay,
    /// Drop the missed ticks and resume at the next instant of the original
    /// schedule that is still ahead.
    #[default]
    Skip,
}

impl MissedTickBehavior {
    /// When the tick after the one `scheduled` for should come, if that tick
    /// was taken at `now`.
    fn next_tick(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        let on_schedule = scheduled
            .checked_add(period)
            .unwrap_or_else(|| far_future(now));
        if on_schedule > now {
            return on_schedule;
        }
        match self {
            MissedTickBehavior::Burst => on_schedule,
            MissedTickBehavior::Delay => now.checked_add(period).unwrap_or_else(|| far_future(now)),
            MissedTickBehavior::Skip => {
                // `behind >= period > 0`. The remainder fits in u64 nanoseconds,
                // being below `behind`, which is bounded by the clock's age.
                let behind = now.duration_since(scheduled);
                let past_last = behind.as_nanos() % period.as_nanos();
                let past_last = Duration::from_nanos(u64::try_from(past_last).unwrap_or(0));
                now.checked_add(period - past_last)
                    .unwrap_or_else(|| far_future(now))
            }
        }
    }
}

/// A timer that ticks every `period`; made by [`interval`](super::interval)
/// or [`interval_at`](super::interval_at).
///
/// Each [`tick`](Self::tick) waits for the next scheduled instant and returns
/// it (the instant the tick was due, not the instant it was taken). What
/// happens after falling behind is set by [`MissedTickBehavior`], `Skip` by
/// default. The period is at least 1 ms (the timers' resolution): a shorter
/// one, zero included, is raised to 1 ms.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let mut interval = deli::time::interval(Duration::from_millis(5));
///     let first = interval.tick().await; // immediately
///     let second = interval.tick().await; // 5 ms later
///     assert!(second - first >= Duration::from_millis(5));
/// });
/// ```
#[derive(Debug)]
pub struct Interval {
    /// Its deadline is the instant of the next tick.
    sleep: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    pub(crate) fn new(start: Instant, period: Duration) -> Self {
        Interval {
            sleep: Sleep::until(start),
            period: period.max(MIN_PERIOD),
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// Cancel-safe: a `tick()` dropped before completing consumes no tick.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use deli::time::MissedTickBehavior;
    ///
    /// deli::run(async {
    ///     let start = Instant::now();
    ///     let mut interval = deli::time::interval_at(start, Duration::from_millis(3));
    ///     // Every tick is delivered, even if this task falls behind.
    ///     interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
    ///     for n in 0..3 {
    ///         assert_eq!(interval.tick().await, start + Duration::from_millis(3) * n);
    ///     }
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: `Ready(scheduled instant)` once it is due,
    /// `Pending` (with `cx`'s waker registered) before.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let mut interval = deli::time::interval(Duration::from_millis(2));
    ///     let tick = std::future::poll_fn(|cx| interval.poll_tick(cx)).await;
    ///     assert!(tick <= std::time::Instant::now());
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        ready!(Pin::new(&mut self.sleep).poll(cx));
        let scheduled = self.sleep.deadline();
        let next = self
            .missed_tick_behavior
            .next_tick(scheduled, super::now(), self.period);
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick comes one period from now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// deli::run(async {
    ///     let mut interval = deli::time::interval(Duration::from_millis(4));
    ///     interval.tick().await;
    ///     interval.reset();
    ///     let before = Instant::now();
    ///     interval.tick().await;
    ///     assert!(before.elapsed() >= Duration::from_millis(3));
    /// });
    /// ```
    pub fn reset(&mut self) {
        let now = super::now();
        let next = now
            .checked_add(self.period)
            .unwrap_or_else(|| far_future(now));
        self.sleep.reset(next);
    }

    /// The period between ticks (at least 1 ms).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let interval = deli::time::interval(Duration::ZERO);
    /// assert_eq!(interval.period(), Duration::from_millis(1));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens when ticks are missed; see [`MissedTickBehavior`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::time::MissedTickBehavior;
    ///
    /// let interval = deli::time::interval(Duration::from_secs(1));
    /// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens when ticks are missed, from the next tick on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::time::MissedTickBehavior;
    ///
    /// let mut interval = deli::time::interval(Duration::from_secs(1));
    /// interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    /// assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Delay);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::time::test_support::block_on_bounded;
    use crate::time::{interval, interval_at};
    use std::task::Waker;

    const BOUND: Duration = Duration::from_secs(5);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The table of `MissedTickBehavior`'s docs: period 10, tick of 10 taken at 35.
    #[test]
    fn next_tick_follows_the_documented_table() {
        let t0 = Instant::now();
        let at = |n: u64| t0 + ms(n);
        let period = ms(10);
        use MissedTickBehavior::*;
        assert_eq!(Burst.next_tick(at(10), at(35), period), at(20));
        assert_eq!(Delay.next_tick(at(10), at(35), period), at(45));
        assert_eq!(Skip.next_tick(at(10), at(35), period), at(40));
        // Burst keeps catching up one period at a time.
        assert_eq!(Burst.next_tick(at(20), at(35), period), at(30));
        assert_eq!(Burst.next_tick(at(30), at(35), period), at(40));
    }

    #[test]
    fn on_time_or_slightly_late_ticks_keep_the_schedule_whatever_the_behavior() {
        let t0 = Instant::now();
        let at = |n: u64| t0 + ms(n);
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert_eq!(behavior.next_tick(at(10), at(10), ms(10)), at(20));
            assert_eq!(behavior.next_tick(at(10), at(19), ms(10)), at(20));
        }
    }

    #[test]
    fn skip_lands_on_the_schedule_even_exactly_on_a_missed_instant() {
        let t0 = Instant::now();
        let at = |n: u64| t0 + ms(n);
        let skip = MissedTickBehavior::Skip;
        assert_eq!(skip.next_tick(at(10), at(20), ms(10)), at(30));
        assert_eq!(skip.next_tick(at(10), at(1_005), ms(10)), at(1_010));
        let odd = Duration::from_micros(1_500);
        assert_eq!(skip.next_tick(at(0), at(4), odd), t0 + odd * 3);
    }

    #[test]
    fn huge_period_does_not_overflow() {
        let now = Instant::now();
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert!(behavior.next_tick(now, now, Duration::MAX) > now);
        }
    }

    #[test]
    fn zero_period_is_raised_to_one_millisecond() {
        assert_eq!(interval(Duration::ZERO).period(), MIN_PERIOD);
        assert_eq!(interval(Duration::from_nanos(10)).period(), MIN_PERIOD);
        let mut fast = interval(Duration::ZERO);
        // Burst: the second tick is scheduled one period after the first,
        // however late the test thread gets to it.
        fast.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let ticks = block_on_bounded(
            async {
                let first = fast.tick().await;
                let second = fast.tick().await;
                second - first
            },
            BOUND,
        );
        assert_eq!(ticks, Some(MIN_PERIOD));
    }

    /// Taking the ticks of an interval that started 35 s ago with a 10 s
    /// period, without waiting: which ticks are ready at once, and when the
    /// next one is due. The 5 s margin keeps this exact on a slow machine.
    fn ready_ticks_after_stall(behavior: MissedTickBehavior) -> Option<(Vec<u64>, Instant)> {
        let now = Instant::now();
        let start = now.checked_sub(Duration::from_secs(35))?;
        let mut interval = interval_at(start, Duration::from_secs(10));
        interval.set_missed_tick_behavior(behavior);
        let mut cx = Context::from_waker(Waker::noop());
        let mut ready = Vec::new();
        while let Poll::Ready(tick) = interval.poll_tick(&mut cx) {
            ready.push(tick.duration_since(start).as_secs());
            assert!(ready.len() < 10, "ticks never stop coming");
        }
        Some((ready, interval.sleep.deadline()))
    }

    #[test]
    fn after_a_stall_each_behavior_ticks_as_documented() {
        let Some((burst, _)) = ready_ticks_after_stall(MissedTickBehavior::Burst) else {
            return; // the monotonic clock is younger than 35 s: nothing to check
        };
        assert_eq!(burst, [0, 10, 20, 30]);
        let (skip, next) = ready_ticks_after_stall(MissedTickBehavior::Skip).expect("clock");
        assert_eq!(skip, [0]);
        let in_future = next.saturating_duration_since(Instant::now());
        assert!(in_future > Duration::ZERO && in_future <= Duration::from_secs(5));
        let (delay, next) = ready_ticks_after_stall(MissedTickBehavior::Delay).expect("clock");
        assert_eq!(delay, [0]);
        let in_future = next.saturating_duration_since(Instant::now());
        assert!(in_future > Duration::from_secs(5) && in_future <= Duration::from_secs(10));
    }

    #[test]
    fn ticks_return_scheduled_instants_and_never_come_early() {
        let start = Instant::now() + ms(2);
        let mut interval = interval_at(start, ms(3));
        let ticks = block_on_bounded(
            async {
                let mut ticks = Vec::new();
                for _ in 0..4 {
                    let tick = interval.tick().await;
                    assert!(Instant::now() >= tick, "tick came early");
                    ticks.push(tick);
                }
                ticks
            },
            BOUND,
        )
        .expect("four ticks within bound");
        assert_eq!(ticks[0], start);
        // Skip keeps the schedule: every tick lands on start + k * period.
        for pair in ticks.windows(2) {
            let gap = (pair[1] - pair[0]).as_micros();
            assert!(gap > 0 && gap % 3_000 == 0, "gap {gap} us is off schedule");
        }
    }

    #[test]
    fn reset_schedules_the_next_tick_a_period_from_now() {
        let mut interval = interval(Duration::from_secs(3_600));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            interval.poll_tick(&mut cx).is_ready(),
            "first tick is immediate"
        );
        assert!(interval.poll_tick(&mut cx).is_pending());
        let before = Instant::now();
        interval.reset();
        let next = interval.sleep.deadline();
        assert!(next >= before + Duration::from_secs(3_600));
        assert!(interval.poll_tick(&mut cx).is_pending());
    }
}
