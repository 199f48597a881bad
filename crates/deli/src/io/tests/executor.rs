//! A minimal executor for the tests: a thread turning the driver and a
//! thread-parking `block_on`. Every wait is bounded, so a broken reactor
//! fails a test instead of hanging it.

use std::future::Future;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::event::Source;

use crate::io::{enter, Async, Driver, Reactor};
use crate::test_support::block_on_bounded;

/// Far longer than anything here should take, even on a busy machine.
pub(super) const BOUND: Duration = Duration::from_secs(10);

/// A reactor whose driver is turned by a background thread.
pub(super) struct TestRuntime {
    pub(super) reactor: Arc<Reactor>,
    stop: Arc<AtomicBool>,
    turner: Option<JoinHandle<()>>,
}

impl TestRuntime {
    pub(super) fn start() -> TestRuntime {
        let (mut driver, reactor) = Driver::new().expect("create a driver");
        let stop = Arc::new(AtomicBool::new(false));
        let turner = thread::spawn({
            let stop = Arc::clone(&stop);
            move || {
                while !stop.load(Ordering::Acquire) {
                    driver
                        .turn(Some(Duration::from_millis(10)))
                        .expect("turn the driver");
                }
            }
        });
        TestRuntime {
            reactor,
            stop,
            turner: Some(turner),
        }
    }

    /// Registers `io` with this runtime's reactor.
    pub(super) fn register<T: Source>(&self, io: T) -> Async<T> {
        let _entered = enter(&self.reactor);
        Async::new(io).expect("register with the test reactor")
    }
}

impl Drop for TestRuntime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.reactor.unpark();
        if let Some(turner) = self.turner.take() {
            let finished = turner.join();
            if !thread::panicking() {
                finished.expect("the driver thread panicked");
            }
        }
    }
}

/// [`block_on_bounded`] with the default bound, failing the test on timeout.
pub(super) fn block_on<F: Future>(future: F) -> F::Output {
    block_on_bounded(future, BOUND).expect("future did not finish within the bound")
}

/// Checks `condition` every millisecond until it holds or `BOUND` passes.
pub(super) fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + BOUND;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        thread::sleep(Duration::from_millis(1));
    }
    condition()
}

/// Turns `driver` until `condition` holds or `BOUND` passes.
pub(super) fn turn_until(driver: &mut Driver, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + BOUND;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        driver
            .turn(Some(Duration::from_millis(10)))
            .expect("turn the driver");
    }
    condition()
}

/// Turns `driver` without blocking until no event is left.
pub(super) fn drain_events(driver: &mut Driver) {
    while driver.turn(Some(Duration::ZERO)).expect("turn the driver") > 0 {}
}

/// Checks that `source` is at end of file for good: readable, and a read
/// gives zero bytes.
pub(super) fn assert_end_of_file<T>(source: &Async<T>)
where
    T: Source,
    for<'a> &'a T: std::io::Read,
{
    use std::io::Read;
    block_on(source.readable()).unwrap();
    let mut buf = [0; 8];
    let read = block_on(source.read_with(|mut s| s.read(&mut buf)));
    assert_eq!(read.unwrap(), 0);
}
