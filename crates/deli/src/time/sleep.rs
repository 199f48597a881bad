//! [`Sleep`], the future behind [`sleep`](super::sleep) and
//! [`sleep_until`](super::sleep_until): it completes once its deadline has
//! passed. It owns at most one timer registration with a driver and may call
//! only the driver ([`super::driver`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::driver::Registration;

/// A future that completes once its deadline has passed; made by
/// [`sleep`](super::sleep) or [`sleep_until`](super::sleep_until).
///
/// A `Sleep` does nothing until first polled. That first poll registers a
/// timer with the current thread's runtime (or, where there is none, with
/// deli's global fallback timer thread), so a `Sleep` made anywhere works
/// wherever it is awaited. Dropping it removes its timer. It never completes
/// before its deadline; timers have a resolution of 1 ms, so it may complete
/// up to about a millisecond late, plus scheduling delay. `Sleep` is `Unpin`,
/// so it can be polled or reset in place without pinning.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let start = Instant::now();
///     deli::time::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
#[derive(Debug)]
#[must_use = "a Sleep does nothing unless awaited or polled"]
pub struct Sleep {
    deadline: Instant,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Not polled since it was made or reset after completing.
    Unregistered,
    /// A timer is pending; `waker` is the one it holds, kept here so that a
    /// poll with the same waker needs no lock.
    Registered {
        registration: Registration,
        waker: Waker,
    },
    /// Completed; the timer is gone.
    Elapsed,
}

impl Sleep {
    pub(crate) fn until(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            state: State::Unregistered,
        }
    }

    /// The instant at which this `Sleep` completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let sleep = deli::time::sleep_until(deadline);
    /// assert_eq!(sleep.deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline to `deadline`, earlier or later, even after the
    /// `Sleep` has completed (it then runs again). A pending timer moves in
    /// place and keeps the waker of the last poll, so the task is woken at
    /// the new deadline without polling in between.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// deli::run(async {
    ///     let mut sleep = deli::time::sleep(Duration::from_secs(3600));
    ///     let soon = Instant::now() + Duration::from_millis(5);
    ///     sleep.reset(soon);
    ///     (&mut sleep).await;
    ///     assert!(Instant::now() >= soon);
    /// });
    /// ```
    pub fn reset(&mut self, deadline: impl Into<Instant>) {
        let deadline = deadline.into();
        self.deadline = deadline;
        match &mut self.state {
            State::Registered {
                registration,
                waker,
            } => registration.update(deadline, waker),
            State::Elapsed => self.state = State::Unregistered,
            State::Unregistered => {}
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if matches!(this.state, State::Elapsed) {
            return Poll::Ready(());
        }
        // The clock decides, not the timer: the timer only wakes the task.
        // A driver fires a timer only at or after its deadline, so a woken
        // task sees the deadline passed here.
        if super::now() >= this.deadline {
            // An elapsed sleep is always ready: spend budget, so a loop of
            // them still lets the worker's other tasks run.
            if crate::coop::budgeted(cx, |_| Poll::Ready(())).is_pending() {
                return Poll::Pending;
            }
            this.state = State::Elapsed;
            return Poll::Ready(());
        }
        match &mut this.state {
            State::Registered {
                registration,
                waker,
            } => {
                // An orphaned timer was woken by its runtime's shutdown, not
                // by its deadline: `update` moves it to the fallback driver.
                if !waker.will_wake(cx.waker()) || registration.is_orphaned() {
                    registration.update(this.deadline, cx.waker());
                    waker.clone_from(cx.waker());
                }
            }
            State::Unregistered | State::Elapsed => {
                let waker = cx.waker().clone();
                this.state = State::Registered {
                    registration: Registration::new(this.deadline, waker.clone()),
                    waker,
                };
            }
        }
        Poll::Pending
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::poison::IgnorePoison;
    use crate::test_support::CountingWaker;
    use crate::time::driver::{self, Timers};
    use crate::time::test_support::{block_on_bounded, run_on_own_timers};
    use crate::time::{sleep, sleep_until};
    use std::sync::{Arc, Mutex};
    use std::task::Wake;
    use std::thread::{self, Thread};
    use std::time::Duration;

    const BOUND: Duration = Duration::from_secs(5);

    fn poll_once(sleep: &mut Sleep, waker: &Waker) -> Poll<()> {
        Pin::new(sleep).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn sleep_is_send_sync_unpin() {
        fn assert_traits<T: Send + Sync + Unpin + 'static>() {}
        assert_traits::<Sleep>();
    }

    #[test]
    fn sleep_completes_not_before_its_deadline_and_within_bound() {
        for millis in [0, 1, 2, 7, 30] {
            let duration = Duration::from_millis(millis);
            let start = Instant::now();
            let done = block_on_bounded(sleep(duration), BOUND);
            assert!(
                done.is_some(),
                "sleep({millis} ms) finished within {BOUND:?}"
            );
            assert!(start.elapsed() >= duration, "sleep({millis} ms) woke early");
        }
    }

    #[test]
    fn past_deadline_completes_at_first_poll_without_a_timer() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = driver::enter(&timers);
        let mut past = sleep_until(Instant::now());
        assert!(poll_once(&mut past, Waker::noop()).is_ready());
        assert!(poll_once(&mut past, Waker::noop()).is_ready());
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn dropping_a_pending_sleep_removes_its_timer() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = driver::enter(&timers);
        let mut sleeps: Vec<_> = (1..=10)
            .map(|i| sleep(Duration::from_secs(60 * i)))
            .collect();
        assert_eq!(timers.len(), 0, "no timer before the first poll");
        for sleep in &mut sleeps {
            assert!(poll_once(sleep, Waker::noop()).is_pending());
        }
        assert_eq!(timers.len(), 10);
        sleeps.truncate(5);
        assert_eq!(timers.len(), 5);
        drop(sleeps);
        assert_eq!(timers.len(), 0);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn sleep_binds_to_the_driver_current_at_first_poll() {
        let mut made_outside = sleep(Duration::from_secs(60));
        let first = Timers::new(Box::new(|| {}));
        let second = Timers::new(Box::new(|| {}));
        {
            let _guard = driver::enter(&first);
            assert!(poll_once(&mut made_outside, Waker::noop()).is_pending());
        }
        let _guard = driver::enter(&second);
        assert!(poll_once(&mut made_outside, Waker::noop()).is_pending());
        assert_eq!((first.len(), second.len()), (1, 0), "stays where it bound");
    }

    #[test]
    fn a_poll_with_another_waker_moves_the_wake_up_to_it() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = driver::enter(&timers);
        let (first, first_waker) = CountingWaker::new();
        let (second, second_waker) = CountingWaker::new();
        let mut sleep = sleep(Duration::from_millis(20));
        assert!(poll_once(&mut sleep, &first_waker).is_pending());
        assert!(poll_once(&mut sleep, &first_waker).is_pending());
        assert!(poll_once(&mut sleep, &second_waker).is_pending());
        assert_eq!(timers.len(), 1);

        while Instant::now() < sleep.deadline() {
            thread::sleep(Duration::from_millis(2));
        }
        let after = sleep.deadline() + Duration::from_millis(1);
        thread::sleep(after.saturating_duration_since(Instant::now()));
        assert_eq!(timers.process(Instant::now()), 1);
        assert_eq!((first.wakes(), second.wakes()), (0, 1));
        assert!(poll_once(&mut sleep, &second_waker).is_ready());
    }

    #[test]
    fn reset_moves_a_pending_timer_and_rearms_a_completed_one() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = driver::enter(&timers);
        let (woken, waker) = CountingWaker::new();
        let mut sleep = sleep(Duration::from_secs(3_600));
        assert!(poll_once(&mut sleep, &waker).is_pending());
        let sooner = Instant::now() + Duration::from_millis(10);
        sleep.reset(sooner);
        assert_eq!(sleep.deadline(), sooner);
        assert_eq!(timers.len(), 1);
        assert_eq!(
            timers
                .next_deadline()
                .map(|next| next <= sooner + Duration::from_millis(1)),
            Some(true)
        );
        thread::sleep(Duration::from_millis(12));
        assert_eq!(timers.process(Instant::now()), 1);
        assert_eq!(woken.wakes(), 1, "woken without a poll after reset");
        assert!(poll_once(&mut sleep, &waker).is_ready());
        assert_eq!(timers.len(), 0);

        sleep.reset(Instant::now() + Duration::from_secs(60));
        assert!(poll_once(&mut sleep, &waker).is_pending(), "re-armed");
        assert_eq!(timers.len(), 1);
    }

    #[test]
    fn shutdown_wakes_pending_sleeps_which_then_still_complete_on_time() {
        let timers = Timers::new(Box::new(|| {}));
        let _guard = driver::enter(&timers);
        let counters: Vec<_> = (0..50).map(|_| CountingWaker::new()).collect();
        let mut sleeps: Vec<_> = (0..50u64)
            .map(|i| sleep(Duration::from_millis(100 + i)))
            .collect();
        for (sleep, (_, waker)) in sleeps.iter_mut().zip(&counters) {
            assert!(poll_once(sleep, waker).is_pending());
        }
        assert_eq!(timers.len(), 50);

        timers.shutdown();
        assert!(counters.iter().all(|(count, _)| count.wakes() == 1));
        assert_eq!(timers.len(), 0);

        // Still entered in the shut-down driver: both the woken sleeps and a
        // new one fall back to the global driver, and none completes early.
        let late = sleep(Duration::from_millis(20));
        let all = async move {
            for sleep in sleeps.into_iter().chain([late]) {
                let deadline = sleep.deadline();
                sleep.await;
                assert!(Instant::now() >= deadline);
            }
        };
        assert!(block_on_bounded(all, BOUND).is_some());
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn a_runtime_driving_its_own_timers_fires_them() {
        let run = run_on_own_timers(
            async {
                let timers = driver::current().expect("the runtime entered its timers");
                let start = Instant::now();
                let mut first = sleep(Duration::from_millis(40));
                let registered = std::future::poll_fn(|cx| {
                    let _ = Pin::new(&mut first).poll(cx);
                    Poll::Ready(timers.len())
                })
                .await;
                first.await;
                sleep(Duration::from_millis(3)).await;
                (registered, start.elapsed())
            },
            BOUND,
        );
        let ((registered, elapsed), fired) = run.expect("finished within bound");
        assert_eq!(registered, 1, "the timer went to the runtime's driver");
        assert!(elapsed >= Duration::from_millis(43));
        assert!(fired <= 2);
    }

    /// Wakes by pushing its index on a shared list, like a scheduler's queue.
    struct IndexWaker {
        index: usize,
        woken: Arc<Mutex<Vec<usize>>>,
        thread: Thread,
    }

    impl Wake for IndexWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.lock().ignore_poison().push(self.index);
            self.thread.unpark();
        }
    }

    #[test]
    fn hundred_thousand_concurrent_sleeps_complete_via_the_fallback_driver() {
        const COUNT: usize = 100_000;
        const BOUND: Duration = Duration::from_secs(60);
        let give_up = Instant::now() + BOUND;
        let woken = Arc::new(Mutex::new(Vec::new()));
        let wakers: Vec<Waker> = (0..COUNT)
            .map(|index| {
                Waker::from(Arc::new(IndexWaker {
                    index,
                    woken: Arc::clone(&woken),
                    thread: thread::current(),
                }))
            })
            .collect();
        let mut sleeps: Vec<Option<Sleep>> = (0..COUNT)
            .map(|i| Some(sleep(Duration::from_millis(1 + (i as u64 * 7_919) % 50))))
            .collect();

        let mut to_poll: Vec<usize> = (0..COUNT).collect();
        let mut remaining = COUNT;
        while remaining > 0 {
            for index in to_poll.drain(..) {
                let Some(sleep) = sleeps[index].as_mut() else {
                    continue;
                };
                let deadline = sleep.deadline();
                if poll_once(sleep, &wakers[index]).is_ready() {
                    assert!(Instant::now() >= deadline, "completed early");
                    sleeps[index] = None;
                    remaining -= 1;
                }
            }
            let now = Instant::now();
            assert!(
                now < give_up || remaining == 0,
                "{remaining} sleeps still pending after {BOUND:?}"
            );
            std::mem::swap(&mut to_poll, &mut woken.lock().ignore_poison());
            if to_poll.is_empty() && remaining > 0 {
                thread::park_timeout(give_up.saturating_duration_since(now));
            }
        }
    }
}
