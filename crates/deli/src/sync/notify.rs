//! [`Notify`]: wake one waiting task or thread, or all of them, with no
//! value attached; a `notify_one` that finds nobody waiting is kept as a
//! permit for the next waiter.
//!
//! Written here rather than on `event-listener`, whose notifications are
//! not stored when nobody listens: a `std` mutex over a permit flag, a
//! generation counter for `notify_all` and a FIFO
//! `WaitList` (`super::wait_list`); nothing lock-free. The mutex comes from
//! `crate::loom`, so the `loom_notify_*` models check that no notification
//! is lost when it races a wait or a dropped waiter. Uses
//! `super::wait_list`, `crate::block_on` and `crate::loom`.

use super::blocking_waits::blocking_waits;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::wait_list::{Key, WaitList};
use crate::loom::sync::{Mutex, MutexGuard};
use crate::poison::IgnorePoison;
use crate::wake_batch::WakeBatch;

/// Wakes waiters without passing a value.
///
/// [`notify_one`](Notify::notify_one) wakes the longest waiter, or, if
/// nobody waits, leaves one permit that the next wait takes at once (permits
/// do not add up). [`notify_all`](Notify::notify_all) wakes every waiter
/// that exists at that moment — including [`Notified`] futures created but
/// not yet polled — and leaves no permit.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Notify;
///
/// deli::run(async {
///     let notify = Arc::new(Notify::new());
///     let waker = Arc::clone(&notify);
///     let ticket = deli::spawn(async move {
///         waker.notify_one();
///     });
///     notify.notified().await;
///     ticket.await.unwrap();
/// });
/// ```
pub struct Notify {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    permit: bool,
    /// Bumped by every `notify_all`; a `Notified` made before the bump is done.
    generation: u64,
    waiters: WaitList<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    woken: Option<Wakeup>,
    waker: Option<Waker>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wakeup {
    One,
    All,
}

impl Notify {
    crate::loom::const_unless_loom! {
        /// A `Notify` with no permit and no waiter.
        ///
        /// # Examples
        ///
        /// ```
        /// let notify = deli::sync::Notify::new();
        /// assert!(!notify.notified_blocking_timeout(std::time::Duration::from_millis(1)));
        /// ```
        pub fn new() -> Notify {
            Notify {
                state: Mutex::new(State::new()),
            }
        }
    }

    /// Wakes the longest waiter, or stores a permit if nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = deli::sync::Notify::new();
    /// notify.notify_one(); // nobody waits: kept as a permit
    /// notify.notified_blocking(); // takes it at once
    /// ```
    pub fn notify_one(&self) {
        let mut state = self.lock();
        let waker = state.wake_one();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every current waiter; stores no permit.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let notify = deli::sync::Notify::new();
    ///     let first = notify.notified();
    ///     let second = notify.notified();
    ///     notify.notify_all();
    ///     first.await;
    ///     second.await;
    ///     assert!(!notify.try_notified()); // no permit left behind
    /// });
    /// ```
    pub fn notify_all(&self) {
        let mut batch = WakeBatch::new();
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        while let Some(key) = state.waiters.front() {
            if batch.is_full() {
                drop(state);
                batch.wake_all();
                state = self.lock();
                continue;
            }
            if let Some(waiter) = state.waiters.get_mut(key) {
                waiter.woken = Some(Wakeup::All);
                if let Some(waker) = waiter.waker.take() {
                    batch.push(waker);
                }
            }
            state.waiters.unlink(key);
        }
        drop(state);
        batch.wake_all();
    }

    /// A future that finishes at the next notification (or at once, taking
    /// the permit, if one is stored).
    ///
    /// Cancel-safe: dropping it unfinished loses nothing — a `notify_one`
    /// that had already chosen it passes on to the next waiter, or becomes
    /// the permit.
    ///
    /// # Examples
    ///
    /// ```
    /// deli::run(async {
    ///     let notify = deli::sync::Notify::new();
    ///     let notified = notify.notified(); // counts as waiting for notify_all
    ///     notify.notify_all();
    ///     notified.await;
    /// });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        let generation = self.lock().generation;
        Notified {
            notify: self,
            generation,
            key: None,
            done: false,
        }
    }

    blocking_waits!(notified, "the next notification (or takes the stored permit)",
        notified_blocking, notified_blocking_timeout, notified_timeout, [
        "let notify = deli::sync::Notify::new();\nnotify.notify_one();\nnotify.notified_blocking();",
        "let notify = deli::sync::Notify::new();\nassert!(!notify.notified_blocking_timeout(Duration::from_millis(5)));\nnotify.notify_one();\nassert!(notify.notified_blocking_timeout(Duration::from_millis(5)));"
    ]);

    /// Takes a stored permit if there is one; never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let notify = deli::sync::Notify::new();
    /// assert!(!notify.try_notified());
    /// notify.notify_one();
    /// assert!(notify.try_notified());
    /// ```
    pub fn try_notified(&self) -> bool {
        std::mem::take(&mut self.lock().permit)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().ignore_poison()
    }
}

impl State {
    const fn new() -> State {
        State {
            permit: false,
            generation: 0,
            waiters: WaitList::new(),
        }
    }

    /// Chooses the front waiter for a `notify_one`, or stores the permit.
    fn wake_one(&mut self) -> Option<Waker> {
        let Some(key) = self.waiters.front() else {
            self.permit = true;
            return None;
        };
        let waker = self.waiters.get_mut(key).and_then(|waiter| {
            waiter.woken = Some(Wakeup::One);
            waiter.waker.take()
        });
        self.waiters.unlink(key);
        waker
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notify")
            .field("permit", &self.lock().permit)
            .finish_non_exhaustive()
    }
}

/// The future of [`Notify::notified`]. Cancel-safe.
///
/// # Examples
///
/// ```
/// deli::run(async {
///     let notify = deli::sync::Notify::new();
///     notify.notify_one();
///     let notified: deli::sync::Notified<'_> = notify.notified();
///     notified.await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited or polled"]
#[derive(Debug)]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: u64,
    key: Option<Key>,
    done: bool,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        let mut state = this.notify.lock();
        let finished = match this.key {
            None => {
                if state.generation != this.generation || std::mem::take(&mut state.permit) {
                    true
                } else {
                    this.key = Some(state.waiters.push_back(Waiter {
                        woken: None,
                        waker: Some(cx.waker().clone()),
                    }));
                    false
                }
            }
            Some(key) => match state.waiters.get_mut(key) {
                Some(waiter) if waiter.woken.is_some() => {
                    state.waiters.remove(key);
                    this.key = None;
                    true
                }
                Some(waiter) => {
                    match &mut waiter.waker {
                        Some(waker) if waker.will_wake(cx.waker()) => {}
                        slot => *slot = Some(cx.waker().clone()),
                    }
                    false
                }
                // Not reachable: only this future removes its own entry.
                None => true,
            },
        };
        if finished {
            this.done = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let mut state = self.notify.lock();
        let forwarded = match state.waiters.remove(key) {
            // Chosen by a notify_one it never reported: pass it on.
            Some(Waiter {
                woken: Some(Wakeup::One),
                ..
            }) => state.wake_one(),
            _ => None,
        };
        drop(state);
        if let Some(waker) = forwarded {
            waker.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::test_support::HandPolled;

    #[test]
    fn permits_do_not_add_up() {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        assert!(notify.try_notified());
        assert!(!notify.try_notified());
    }

    #[test]
    fn notify_one_wakes_in_arrival_order() {
        let notify = Notify::new();
        let mut first = HandPolled::pending(notify.notified());
        let mut second = HandPolled::pending(notify.notified());
        notify.notify_one();
        assert!(first.poll().is_ready());
        assert!(second.poll().is_pending());
    }

    #[test]
    fn a_dropped_chosen_waiter_passes_the_notification_on() {
        let notify = Notify::new();
        let first = HandPolled::pending(notify.notified());
        let mut second = HandPolled::pending(notify.notified());
        notify.notify_one();
        drop(first);
        assert!(second.poll().is_ready());
        // And with nobody left, it becomes the permit.
        let third = HandPolled::pending(notify.notified());
        notify.notify_one();
        drop(third);
        assert!(notify.try_notified());
    }

    #[test]
    fn notify_all_leaves_no_permit() {
        let notify = Notify::new();
        let mut waiting = HandPolled::pending(notify.notified());
        notify.notify_all();
        assert!(waiting.poll().is_ready());
        assert!(!notify.try_notified());
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::future::block_on;
    use loom::thread;
    use std::sync::Arc;

    #[test]
    fn loom_notify_one_is_never_lost() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let other = Arc::clone(&notify);
            let notifier = thread::spawn(move || other.notify_one());
            block_on(notify.notified());
            notifier.join().unwrap();
            assert!(!notify.try_notified());
        });
    }

    #[test]
    fn loom_notify_all_reaches_a_created_notified() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let notified = notify.notified();
            let other = Arc::clone(&notify);
            let notifier = thread::spawn(move || other.notify_all());
            block_on(notified);
            notifier.join().unwrap();
        });
    }

    #[test]
    fn loom_notify_dropped_chosen_waiter_forwards() {
        loom::model(|| {
            let notify = Arc::new(Notify::new());
            let mut first = Box::pin(notify.notified());
            let mut second = Box::pin(notify.notified());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(first.as_mut().poll(&mut cx).is_pending());
            assert!(second.as_mut().poll(&mut cx).is_pending());
            let other = Arc::clone(&notify);
            let notifier = thread::spawn(move || other.notify_one());
            // Races the notification, which goes to `first` (the front).
            drop(first);
            block_on(second);
            notifier.join().unwrap();
        });
    }
}
