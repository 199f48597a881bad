//! How a running server tells its connections to drain or stop, and learns
//! when they are gone: a [`Registry`] of live connections, each with its
//! own [`Control`]. Plain `std` mutexes: a connection locks only its own
//! control on each poll (uncontended but for shutdown), the registry is
//! locked once when a connection starts and once when it ends.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

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

#[derive(Debug)]
struct ControlState {
    order: Order,
    /// Usually one: the connection's task (or the accept loop's).
    wakers: Vec<Waker>,
}

/// One connection's orders.
#[derive(Debug)]
pub(crate) struct Control {
    state: Mutex<ControlState>,
}

impl Control {
    pub(crate) fn new(order: Order) -> Control {
        Control {
            state: Mutex::new(ControlState {
                order,
                wakers: Vec::new(),
            }),
        }
    }

    /// The current order; the task behind `cx` is woken when it changes.
    pub(crate) fn poll_order(&self, cx: &mut Context<'_>) -> Order {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            state.wakers.push(cx.waker().clone());
        }
        state.order
    }

    pub(crate) fn give(&self, order: Order) {
        let wakers = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.order = order;
            std::mem::take(&mut state.wakers)
        };
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
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
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
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.order = order;
            state.live.iter().map(|(_, c)| Arc::clone(c)).collect()
        };
        for control in controls {
            control.give(order);
        }
    }

    /// How many connections are live.
    pub(crate) fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .live
            .len()
    }

    /// Ready once no connection is live.
    pub(crate) fn poll_empty(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
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
            let mut state = self
                .registry
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner());
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
