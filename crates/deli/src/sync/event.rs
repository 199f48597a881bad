//! [`Event`]: a flag that tasks and threads wait on until it is set — the
//! `asyncio.Event` / `threading.Event` of Python.
//!
//! A `std` mutex over the flag and an `event-listener` event to wake the
//! waiters; nothing lock-free. Uses `event-listener` and `crate::block_on`.

use super::blocking_waits::blocking_waits;
use crate::poison::IgnorePoison;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

/// A flag, initially clear. [`set`](Event::set) wakes every waiter and
/// lets later waits through until [`clear`](Event::clear). As in Python, a
/// waiter woken by a `set` returns even if the flag was cleared again
/// before it ran.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use deli::sync::Event;
///
/// let ready = Arc::new(Event::new());
/// let waiter = {
///     let ready = Arc::clone(&ready);
///     std::thread::spawn(move || ready.wait_blocking())
/// };
/// deli::run(async {
///     ready.set();
///     ready.wait().await; // already set: returns at once
/// });
/// waiter.join().unwrap();
/// ```
#[derive(Default)]
pub struct Event {
    flag: Mutex<bool>,
    waiters: event_listener::Event,
}

impl Event {
    crate::loom::const_unless_loom! {
        /// A clear event.
        ///
        /// # Examples
        ///
        /// ```
        /// assert!(!deli::sync::Event::new().is_set());
        /// ```
        pub fn new() -> Event {
            Event {
                flag: Mutex::new(false),
                waiters: event_listener::Event::new(),
            }
        }
    }

    /// Sets the flag and wakes every waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = deli::sync::Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        *self.lock() = true;
        self.waiters.notify(usize::MAX);
    }

    /// Clears the flag: waits block again until the next [`set`](Event::set).
    ///
    /// # Examples
    ///
    /// ```
    /// let event = deli::sync::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        *self.lock() = false;
    }

    /// Whether the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// let event = deli::sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        *self.lock()
    }

    /// Waits until the flag is set (returns at once if it is).
    ///
    /// Cancel-safe: dropping the future changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// deli::run(async {
    ///     let event = Arc::new(deli::sync::Event::new());
    ///     let setter = Arc::clone(&event);
    ///     deli::spawn(async move { setter.set() });
    ///     event.wait().await;
    ///     assert!(event.is_set());
    /// });
    /// ```
    pub async fn wait(&self) {
        let listener = {
            let flag = self.lock();
            if *flag {
                return;
            }
            // Listening under the lock: a `set` cannot slip in between the
            // check and the listen. Not a loop: a waiter woken by `set`
            // returns even if the flag was cleared again at once.
            self.waiters.listen()
        };
        listener.await;
    }

    blocking_waits!(wait, "the flag is set", wait_blocking, wait_blocking_timeout, wait_timeout, [
        "let event = deli::sync::Event::new();\nevent.set();\nevent.wait_blocking();",
        "let event = deli::sync::Event::new();\nassert!(!event.wait_blocking_timeout(Duration::from_millis(5)));\nevent.set();\nassert!(event.wait_blocking_timeout(Duration::from_millis(5)));"
    ]);

    fn lock(&self) -> MutexGuard<'_, bool> {
        self.flag.lock().ignore_poison()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.is_set())
            .finish()
    }
}
