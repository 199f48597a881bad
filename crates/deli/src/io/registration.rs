//! One source's membership in the reactor: its token, its readiness, and
//! the removal of its table entry when dropped. [`Async`](super::Async) is
//! the public face; this is the part that does not depend on the source type.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::{Interest, Token};

use super::reactor::Reactor;
use super::readiness::{Direction, Readiness, ReadyEvent};

#[derive(Debug)]
pub(super) struct Registration {
    reactor: Arc<Reactor>,
    readiness: Arc<Readiness>,
    token: Token,
}

impl Registration {
    pub(super) fn new(
        reactor: Arc<Reactor>,
        source: &mut impl Source,
        interest: Interest,
    ) -> io::Result<Registration> {
        let (token, readiness) = reactor.register(source, interest)?;
        Ok(Registration {
            reactor,
            readiness,
            token,
        })
    }

    pub(super) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.readiness.poll_ready(cx, direction)
    }

    pub(super) fn clear_readiness(&self, event: ReadyEvent) {
        self.readiness.clear_readiness(event);
    }

    /// Must be called with the registered source before it is closed.
    pub(super) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.reactor.deregister_source(source)
    }

    #[cfg(all(test, not(loom)))]
    pub(super) fn token(&self) -> Token {
        self.token
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.remove(self.token);
    }
}
