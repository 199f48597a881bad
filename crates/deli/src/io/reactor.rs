//! The shared half of the reactor: the `mio::Registry`, the `mio::Waker`
//! that interrupts a blocked [`Driver::turn`](super::Driver::turn), and the
//! table of registrations that the driver dispatches events into.
//!
//! Lock order: the registration table, then a registration's waiter lock.
//! No waker is woken or dropped while the table is locked.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use mio::event::Source;
use mio::{Interest, Registry, Token};
use slab::Slab;

use crate::loom::sync::atomic::{AtomicBool, Ordering};

use super::error::ReactorError;
use super::readiness::{Readiness, Ready};
use super::token;
use crate::poison::IgnorePoison;

/// Shared by every thread of a runtime; see the module docs of `io`.
pub(crate) struct Reactor {
    registry: Registry,
    waker: mio::Waker,
    /// Set while an unpark is on its way to the driver, so that a burst of
    /// unparks costs one system call.
    unpark_requested: AtomicBool,
    registrations: Mutex<Registrations>,
}

struct Registrations {
    slab: Slab<Entry>,
    last_generation: usize,
    is_shutdown: bool,
}

struct Entry {
    generation: usize,
    readiness: Arc<Readiness>,
}

impl Reactor {
    pub(super) fn new(registry: Registry, waker: mio::Waker) -> Reactor {
        Reactor {
            registry,
            waker,
            unpark_requested: AtomicBool::new(false),
            registrations: Mutex::new(Registrations {
                slab: Slab::new(),
                last_generation: 0,
                is_shutdown: false,
            }),
        }
    }

    /// Interrupts a thread blocked in `Driver::turn`, or makes the next turn
    /// return at once if none is blocked. Calls that come before the driver
    /// has seen the previous one are merged: after the first, an unpark is
    /// one atomic swap.
    pub(crate) fn unpark(&self) {
        if self.unpark_requested.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.waker.wake().is_err() {
            // Nothing is on its way to the driver; let the next call retry.
            self.unpark_requested.store(false, Ordering::Release);
        }
    }

    /// Called by the driver after each poll: unparks from here on need a
    /// new wake-up. Acquire pairs with `unpark`, so whatever the unparking
    /// thread did before it is visible to the driver's thread.
    pub(super) fn clear_unpark(&self) {
        self.unpark_requested.swap(false, Ordering::AcqRel);
    }

    /// Fails every registration's present and future waits with
    /// [`ReactorError::Shutdown`], refuses new registrations, and wakes
    /// every waiting task (and the driver).
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        {
            let mut registrations = self.lock_registrations();
            registrations.is_shutdown = true;
            for (_, entry) in registrations.slab.iter() {
                entry.readiness.shutdown(&mut wakers);
            }
        }
        for waker in wakers {
            waker.wake();
        }
        self.unpark();
    }

    /// Adds `source` to the table and to the OS poller.
    pub(super) fn register(
        &self,
        source: &mut impl Source,
        interest: Interest,
    ) -> io::Result<(Token, Arc<Readiness>)> {
        let readiness = Arc::new(Readiness::new());
        let token = {
            let mut registrations = self.lock_registrations();
            if registrations.is_shutdown {
                return Err(ReactorError::Shutdown.into());
            }
            let key = registrations.slab.vacant_key();
            if key >= token::MAX_KEYS {
                return Err(ReactorError::TooManyRegistrations.into());
            }
            let generation = token::next_generation(registrations.last_generation);
            registrations.last_generation = generation;
            registrations.slab.insert(Entry {
                generation,
                readiness: Arc::clone(&readiness),
            });
            token::encode(key, generation)
        };
        // A shutdown racing with us has already marked `readiness`.
        if let Err(err) = self.registry.register(source, token, interest) {
            self.remove(token);
            return Err(err);
        }
        Ok((token, readiness))
    }

    /// Removes `source` from the OS poller; its table entry stays until
    /// [`remove`](Self::remove).
    pub(super) fn deregister_source(&self, source: &mut impl Source) -> io::Result<()> {
        self.registry.deregister(source)
    }

    /// Drops the table entry for `token`; later events for it are ignored.
    pub(super) fn remove(&self, token: Token) {
        let (key, generation) = token::decode(token);
        let removed = {
            let mut registrations = self.lock_registrations();
            match registrations.slab.get(key) {
                Some(entry) if entry.generation == generation => {
                    Some(registrations.slab.remove(key))
                }
                _ => None,
            }
        };
        // Dropped here, unlocked: the last reference may free stored wakers.
        drop(removed);
    }

    /// Records each `(token, readiness)` in its registration and moves the
    /// wakers to wake into `wakers`. Stale and waker tokens are skipped.
    /// Returns how many events reached a registration.
    pub(super) fn dispatch(
        &self,
        events: impl IntoIterator<Item = (Token, Ready)>,
        wakers: &mut Vec<Waker>,
    ) -> usize {
        let registrations = self.lock_registrations();
        let mut dispatched = 0;
        for (event_token, ready) in events {
            if event_token == token::WAKER_TOKEN {
                continue;
            }
            let (key, generation) = token::decode(event_token);
            match registrations.slab.get(key) {
                Some(entry) if entry.generation == generation => {
                    entry.readiness.set_ready(ready, wakers);
                    dispatched += 1;
                }
                _ => {}
            }
        }
        dispatched
    }

    #[cfg(all(test, not(loom)))]
    pub(super) fn registry(&self) -> &Registry {
        &self.registry
    }

    fn lock_registrations(&self) -> MutexGuard<'_, Registrations> {
        // Slab operations leave the table consistent even if a panic
        // interrupted a previous holder, so a poisoned lock is usable.
        self.registrations.lock().ignore_poison()
    }
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registrations = self.lock_registrations();
        f.debug_struct("Reactor")
            .field("registrations", &registrations.slab.len())
            .field("is_shutdown", &registrations.is_shutdown)
            .finish_non_exhaustive()
    }
}
