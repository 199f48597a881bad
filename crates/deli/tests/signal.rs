//! `deli::signal` with real signals sent to this process: several
//! listeners (in one runtime and in another) all woken, the `Stream` form,
//! a dropped listener leaving the others working, `ctrl_c` woken by SIGINT,
//! and refused signals as typed errors.
//!
//! Each test uses its own signal, so tests running at once in this binary
//! do not see each other's deliveries. Every listener exists before its
//! signal is raised, so no default action (which would end the test
//! process) ever runs.

mod common;

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use common::{within, BOUND};
use deli::signal::{ctrl_c, signal, SignalError, SignalKind};
use futures_util::StreamExt;

/// Generous: catches a listener that is never woken, not a slow one.
const WAKE_BOUND: Duration = Duration::from_secs(30);

fn runtime() -> deli::Runtime {
    deli::Runtime::builder().workers(2).build().unwrap()
}

fn send_to_self(signum: i32) {
    // SAFETY: `kill` and `getpid` have no memory-safety preconditions.
    let sent = unsafe { libc::kill(libc::getpid(), signum) };
    assert_eq!(sent, 0, "kill: {}", io::Error::last_os_error());
}

async fn woken<F: Future>(what: &str, future: F) -> F::Output {
    deli::timeout(WAKE_BOUND, future)
        .await
        .unwrap_or_else(|_| panic!("{what} was not woken within {WAKE_BOUND:?}"))
}

#[test]
fn every_listener_of_sigusr1_is_woken_in_every_runtime() {
    within(BOUND, || {
        // A listener in a second runtime, on its own thread.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            runtime().block_on(async move {
                let mut listener = signal(SignalKind::user_defined1()).unwrap();
                ready_tx.send(()).unwrap();
                woken("the other runtime's listener", listener.recv()).await
            })
        });
        ready_rx.recv().unwrap();

        runtime().block_on(async {
            let mut listeners: Vec<_> = (0..3)
                .map(|_| signal(SignalKind::user_defined1()).unwrap())
                .collect();
            // Listeners waiting in their own tasks at the time of delivery.
            let waiting: Vec<_> = (0..3)
                .map(|_| {
                    let mut listener = signal(SignalKind::user_defined1()).unwrap();
                    deli::spawn(async move { woken("a task's listener", listener.recv()).await })
                })
                .collect();
            // Let those tasks reach their `recv` (not needed for
            // correctness: a delivery before the first poll is kept too).
            deli::sleep(Duration::from_millis(20)).await;

            send_to_self(libc::SIGUSR1);

            for listener in &mut listeners {
                assert_eq!(woken("a listener", listener.recv()).await, Some(()));
            }
            for ticket in waiting {
                assert_eq!(ticket.await.unwrap(), Some(()));
            }
            // Once seen, a delivery is not seen again: the next recv waits.
            let mut again = pin!(listeners[0].recv());
            poll_fn(|cx| {
                assert!(again.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        });
        assert_eq!(other.join().unwrap(), Some(()));
    });
}

#[test]
fn sigusr2_as_a_stream_and_after_a_listener_is_dropped() {
    within(BOUND, || {
        runtime().block_on(async {
            let mut stream = signal(SignalKind::user_defined2()).unwrap();
            let dropped = signal(SignalKind::user_defined2()).unwrap();
            drop(dropped);

            send_to_self(libc::SIGUSR2);
            assert_eq!(woken("the stream", stream.next()).await, Some(()));

            // Repeated deliveries: each one is seen by a later poll
            // (several close together may be seen as one).
            for round in 0..5 {
                send_to_self(libc::SIGUSR2);
                assert_eq!(
                    woken("the stream", stream.next()).await,
                    Some(()),
                    "round {round}"
                );
            }
        });
    });
}

#[test]
fn ctrl_c_is_woken_by_sigint() {
    within(BOUND, || {
        runtime().block_on(async {
            let mut interrupted = pin!(ctrl_c());
            // The first poll installs the listener; only then is SIGINT
            // raised, so its default action (ending the process) never runs.
            poll_fn(|cx| {
                assert!(interrupted.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            send_to_self(libc::SIGINT);
            woken("ctrl_c", interrupted).await.unwrap();
        });
    });
}

#[test]
fn refused_signals_are_typed_errors() {
    within(BOUND, || {
        runtime().block_on(async {
            let refused = |signum: i32| {
                let error = signal(SignalKind::from_raw(signum)).unwrap_err();
                assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{signum}");
                *error
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<SignalError>())
                    .unwrap_or_else(|| panic!("{signum}: no SignalError inside"))
            };
            assert_eq!(
                refused(libc::SIGKILL),
                SignalError::Forbidden(libc::SIGKILL)
            );
            assert_eq!(
                refused(libc::SIGSTOP),
                SignalError::Forbidden(libc::SIGSTOP)
            );
            assert_eq!(
                refused(libc::SIGSEGV),
                SignalError::Forbidden(libc::SIGSEGV)
            );
            assert_eq!(refused(0), SignalError::OutOfRange(0));
            assert_eq!(refused(-3), SignalError::OutOfRange(-3));
            let past_last = libc::SIGRTMAX() + 1;
            assert_eq!(refused(past_last), SignalError::OutOfRange(past_last));
            if libc::SIGRTMIN() > 32 {
                assert_eq!(refused(32), SignalError::Reserved(32));
            }
            // The first real-time signal is fine.
            assert!(signal(SignalKind::from_raw(libc::SIGRTMIN())).is_ok());
        });
    });
    // Outside a runtime there is no reactor to wait on.
    let outside = signal(SignalKind::hangup()).unwrap_err();
    assert_eq!(outside.kind(), io::ErrorKind::Other);
}
