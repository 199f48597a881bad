//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Runs `test` on its own thread and fails (instead of hanging the suite)
/// if it has not finished within `bound`. Bounds are generous: they catch
/// hangs, not slowness.
pub fn within<T: Send + 'static>(bound: Duration, test: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = done.send(test());
    });
    match result.recv_timeout(bound) {
        Ok(value) => {
            let _ = worker.join();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the test thread sent nothing and did not panic"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test did not finish within {bound:?}"),
    }
}

/// Counts how many times values holding it were dropped.
#[derive(Clone, Default)]
pub struct DropCounter(pub Arc<AtomicUsize>);

impl DropCounter {
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Both flavours, for tests that must hold on each.
pub fn runtimes() -> Vec<(&'static str, deli::Runtime)> {
    vec![
        (
            "current-thread",
            deli::Runtime::builder().current_thread().build().unwrap(),
        ),
        (
            "multi-thread",
            deli::Runtime::builder().workers(2).build().unwrap(),
        ),
    ]
}

pub const BOUND: Duration = Duration::from_secs(60);

/// A one-shot gate a task can await and any thread can open: the smallest
/// "parked on something" there is, with no deli primitive involved.
#[derive(Default)]
pub struct Gate {
    state: std::sync::Mutex<(bool, Option<std::task::Waker>)>,
}

impl Gate {
    pub fn open(&self) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn wait(self: &Arc<Self>) -> GateWait {
        GateWait(self.clone())
    }
}

pub struct GateWait(Arc<Gate>);

impl std::future::Future for GateWait {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut state = self.0.state.lock().unwrap();
        if state.0 {
            std::task::Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            std::task::Poll::Pending
        }
    }
}

/// Spins (with short sleeps) until `condition` holds; panics after `bound`.
pub fn eventually(bound: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + bound;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Raises the soft open-files limit toward `wanted` (within the hard
/// limit); returns the limit now in force.
pub fn raise_open_files_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable rlimit for the call.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(got, 0, "getrlimit: {}", std::io::Error::last_os_error());
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted.min(limit.rlim_max);
        // SAFETY: `limit` is a valid rlimit whose soft value is within the hard one.
        let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
        assert_eq!(set, 0, "setrlimit: {}", std::io::Error::last_os_error());
    }
    limit.rlim_cur
}

/// The runner of a `harness = false` test binary (one that needs its own
/// `main`, e.g. to serve as a process-pool child first). Like libtest, the
/// first argument that is not a flag filters the tests by name; each test
/// runs under `catch_unwind` with `run`, and the binary prints libtest's
/// `test … ok` and `test result:` lines. Returns the names that failed,
/// for [`exit_if_failed`] once the caller has cleaned up.
pub fn run_tests<T: Copy>(tests: &[(&'static str, T)], run: impl Fn(T)) -> Vec<&'static str> {
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let mut passed = 0;
    let mut failed = Vec::new();
    for &(name, test) in tests {
        if filter
            .as_ref()
            .is_some_and(|filter| !name.contains(filter.as_str()))
        {
            continue;
        }
        let start = std::time::Instant::now();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(test)));
        let verdict = if outcome.is_ok() { "ok" } else { "FAILED" };
        println!(
            "test {name} ... {verdict} ({} ms)",
            start.elapsed().as_millis()
        );
        match outcome {
            Ok(()) => passed += 1,
            Err(_) => failed.push(name),
        }
    }
    println!("\ntest result: {passed} passed, {} failed", failed.len());
    failed
}

/// Ends the process with libtest's failure status if any test failed.
pub fn exit_if_failed(failed: &[&str]) {
    if !failed.is_empty() {
        println!("failed: {}", failed.join(", "));
        std::process::exit(101);
    }
}
