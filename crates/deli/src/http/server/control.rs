//! How a running server tells its connections to drain or stop, and learns
//! when they are gone: a [`Registry`] of live connections, each with its
//! own [`Control`]. `std` types only: a connection checks its orders on
//! each poll with two loads and locks its own control's wakers only when
//! its order changes; the registry is locked once when a connection starts
//! and once when it ends.

use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use crate::poison::IgnorePoison;
use slab::Slab;

/// What a connection has been told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Serve requests as they come.
    Serve,
    /// Finish the requests in flight, take no new ones, then close.
    Drain,
    /// Close now.
    Abort,
}

/// One connection's (or the accept loop's) orders.
///
/// Orders only move forward (serve → drain → abort), so each is a
/// `OnceLock` flag: checking them on every poll is two loads, no lock. The
/// lock guards only the wakers, which a poller registers once (see
/// [`Watch`]) and again after each new order, because giving an order takes
/// the wakers it wakes.
#[derive(Debug, Default)]
pub(crate) struct Control {
    drain: OnceLock<()>,
    abort: OnceLock<()>,
    /// Usually one: the connection's task (or the accept loop's).
    wakers: Mutex<Vec<Waker>>,
}

/// What a poller of a [`Control`] remembers between polls.
#[derive(Debug)]
pub(crate) struct Watch {
    registered: Option<Waker>,
    seen: Order,
}

impl Watch {
    pub(crate) fn new() -> Watch {
        Watch {
            registered: None,
            seen: Order::Serve,
        }
    }
}

impl Control {
    pub(crate) fn new(order: Order) -> Control {
        let control = Control::default();
        control.set(order);
        control
    }

    fn set(&self, order: Order) {
        match order {
            Order::Serve => {}
            Order::Drain => {
                let _ = self.drain.set(());
            }
            Order::Abort => {
                let _ = self.drain.set(());
                let _ = self.abort.set(());
            }
        }
    }

    fn order(&self) -> Order {
        if self.abort.get().is_some() {
            Order::Abort
        } else if self.drain.get().is_some() {
            Order::Drain
        } else {
            Order::Serve
        }
    }

    /// The current order; the task behind `cx` is woken when it changes.
    pub(crate) fn poll_order(&self, watch: &mut Watch, cx: &mut Context<'_>) -> Order {
        let order = self.order();
        let registered = watch
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if registered && order == watch.seen {
            return order;
        }
        {
            let mut wakers = self.wakers.lock().ignore_poison();
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
        }
        watch.registered = Some(cx.waker().clone());
        // Read after registering: an order given since is either seen here
        // or wakes the waker just registered.
        watch.seen = self.order();
        watch.seen
    }

    pub(crate) fn give(&self, order: Order) {
        self.set(order);
        let wakers = std::mem::take(&mut *self.wakers.lock().ignore_poison());
        for waker in wakers {
            waker.wake();
        }
    }
}

#[derive(Debug)]
struct RegistryState {
    live: Slab<Arc<Control>>,
    /// The order every connection gets, including ones accepted later.
    order: Order,
    /// Woken when the last connection leaves.
    on_empty: Option<Waker>,
}

/// The live connections of one server.
#[derive(Debug)]
pub(crate) struct Registry {
    state: Mutex<RegistryState>,
}

/// A connection's place in the [`Registry`]; leaving it when dropped.
#[derive(Debug)]
pub(crate) struct Membership {
    registry: Arc<Registry>,
    key: usize,
    pub(crate) control: Arc<Control>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            state: Mutex::new(RegistryState {
                live: Slab::new(),
                order: Order::Serve,
                on_empty: None,
            }),
        }
    }

    /// Registers a new connection under the server's current order.
    pub(crate) fn join(self: &Arc<Self>) -> Membership {
        let mut state = self.state.lock().ignore_poison();
        let control = Arc::new(Control::new(state.order));
        let key = state.live.insert(Arc::clone(&control));
        Membership {
            registry: Arc::clone(self),
            key,
            control,
        }
    }

    /// Gives every live (and future) connection `order`.
    pub(crate) fn order_all(&self, order: Order) {
        let controls: Vec<Arc<Control>> = {
            let mut state = self.state.lock().ignore_poison();
            state.order = order;
            state.live.iter().map(|(_, c)| Arc::clone(c)).collect()
        };
        for control in controls {
            control.give(order);
        }
    }

    /// How many connections are live.
    pub(crate) fn len(&self) -> usize {
        self.state.lock().ignore_poison().live.len()
    }

    /// Ready once no connection is live.
    pub(crate) fn poll_empty(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().ignore_poison();
        if state.live.is_empty() {
            return Poll::Ready(());
        }
        state.on_empty = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.registry.state.lock().ignore_poison();
            state.live.try_remove(self.key);
            if state.live.is_empty() {
                state.on_empty.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
