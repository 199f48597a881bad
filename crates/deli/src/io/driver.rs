//! The half of the reactor that blocks: `mio::Poll` and its event buffer.
//! Exactly one thread turns it at a time (the runtime keeps it behind a
//! try-lock, and an idle worker takes it instead of parking).

use std::fmt;
use std::io;
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use mio::event::Event;
use mio::{Events, Poll};

use super::reactor::Reactor;
use super::readiness::Ready;
use super::token::WAKER_TOKEN;

/// Events taken from the OS per turn; more simply wait for the next turn.
const EVENTS_PER_TURN: usize = 1024;

pub(crate) struct Driver {
    poll: Poll,
    events: Events,
    reactor: Arc<Reactor>,
    /// Reused between turns so dispatching does not allocate.
    wakers: Vec<Waker>,
}

impl Driver {
    /// A driver and the reactor it feeds.
    pub(crate) fn new() -> io::Result<(Driver, Arc<Reactor>)> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let reactor = Arc::new(Reactor::new(registry, waker));
        let driver = Driver {
            poll,
            events: Events::with_capacity(EVENTS_PER_TURN),
            reactor: Arc::clone(&reactor),
            wakers: Vec::new(),
        };
        Ok((driver, reactor))
    }

    /// Blocks in the OS poll for at most `timeout` (`None`: until an event
    /// or [`Reactor::unpark`]), then records readiness and wakes the waiting
    /// tasks, holding no lock while it wakes. An interrupted poll (`EINTR`)
    /// is a turn with no events. Returns how many I/O events reached a live
    /// registration (unparks and stale events are not counted).
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let polled = self.poll.poll(&mut self.events, timeout);
        self.reactor.clear_unpark();
        match polled {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => return Ok(0),
            Err(err) => return Err(err),
        }
        let events = self
            .events
            .iter()
            .map(|event| (event.token(), readiness_of(event)));
        let dispatched = self.reactor.dispatch(events, &mut self.wakers);
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
        Ok(dispatched)
    }
}

impl Drop for Driver {
    /// Without the poller no readiness can ever arrive, so every wait would
    /// hang: fail them instead.
    fn drop(&mut self) {
        self.reactor.shutdown();
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("reactor", &self.reactor)
            .finish_non_exhaustive()
    }
}

fn readiness_of(event: &Event) -> Ready {
    let mut ready = Ready::EMPTY;
    if event.is_readable() {
        ready = ready | Ready::READABLE;
    }
    if event.is_writable() {
        ready = ready | Ready::WRITABLE;
    }
    if event.is_read_closed() {
        ready = ready | Ready::READ_CLOSED;
    }
    if event.is_write_closed() {
        ready = ready | Ready::WRITE_CLOSED;
    }
    if event.is_error() {
        ready = ready | Ready::ERROR;
    }
    ready
}
