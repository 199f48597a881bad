//! `sync::OnceCell`: exactly one initializer under contention, waiters that
//! do not spin, a cancelled or failed initializer handing over to a waiter,
//! `set`, `into_inner`, and a `static` cell.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use deli::sync::{OnceCell, SetError};

const BOUND: Duration = Duration::from_secs(30);

static GLOBAL: OnceCell<u64> = OnceCell::new();

/// Counts how often the wrapped future is polled.
struct CountPolls<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

#[test]
fn one_initializer_runs_under_contention_and_waiters_do_not_spin() {
    let runtime = deli::Runtime::builder().workers(2).build().unwrap();
    runtime.block_on(async {
        let cell = Arc::new(OnceCell::new());
        let inits = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        let tickets: Vec<_> = (0..16)
            .map(|n| {
                let (cell, inits) = (cell.clone(), inits.clone());
                let waiter = async move {
                    *cell
                        .get_or_init(|| async {
                            inits.fetch_add(1, Ordering::SeqCst);
                            deli::sleep(Duration::from_millis(50)).await;
                            n
                        })
                        .await
                };
                deli::spawn(CountPolls {
                    inner: Box::pin(waiter),
                    polls: polls.clone(),
                })
            })
            .collect();
        let mut values = Vec::new();
        for ticket in tickets {
            values.push(deli::timeout(BOUND, ticket).await.unwrap().unwrap());
        }
        assert_eq!(inits.load(Ordering::SeqCst), 1, "exactly one initializer");
        assert!(values.iter().all(|v| *v == values[0]), "{values:?}");
        // Each waiter is polled when spawned and when woken with the value
        // (plus the winner's timer wake-up): nowhere near a spin.
        let polls = polls.load(Ordering::SeqCst);
        assert!(polls <= 16 * 3, "{polls} polls for 16 callers");
    });
}

#[deli::test]
async fn a_cancelled_initializer_hands_over_to_a_waiter() {
    let cell = Arc::new(OnceCell::new());
    let first = {
        let cell = cell.clone();
        deli::spawn(async move { *cell.get_or_init(std::future::pending::<&str>).await })
    };
    deli::yield_now().await; // `first` holds the initializer slot
    assert_eq!(
        cell.set("too early"),
        Err(SetError::InitializingError("too early"))
    );
    let second = {
        let cell = cell.clone();
        deli::spawn(async move { *cell.get_or_init(|| async { "second" }).await })
    };
    deli::yield_now().await;
    assert!(!second.is_done(), "the second caller waits");
    first.cancel();
    assert_eq!(first.await, Err(deli::JobError::Cancelled));
    let value = deli::timeout(BOUND, second).await.unwrap().unwrap();
    assert_eq!(value, "second");
    assert_eq!(cell.get(), Some(&"second"));
}

#[deli::test]
async fn a_failed_initializer_lets_the_next_try() {
    let cell = Arc::new(OnceCell::<u32>::new());
    let failing = {
        let cell = cell.clone();
        deli::spawn(async move {
            cell.get_or_try_init(|| async {
                deli::sleep(Duration::from_millis(5)).await;
                Err::<u32, &str>("broken")
            })
            .await
            .copied()
        })
    };
    deli::yield_now().await;
    let next = {
        let cell = cell.clone();
        deli::spawn(async move {
            cell.get_or_try_init(|| async { Ok::<u32, &str>(3) })
                .await
                .copied()
        })
    };
    assert_eq!(failing.await.unwrap(), Err("broken"));
    assert_eq!(next.await.unwrap(), Ok(3));
    assert!(cell.initialized());
}

#[test]
fn set_into_inner_and_a_static_cell() {
    let cell = OnceCell::new();
    assert!(!cell.initialized());
    assert_eq!(cell.set(String::from("a")), Ok(()));
    assert_eq!(
        cell.set(String::from("b")),
        Err(SetError::AlreadyInitialized(String::from("b")))
    );
    assert_eq!(cell.into_inner().as_deref(), Some("a"));
    assert_eq!(OnceCell::<u8>::new().into_inner(), None);

    let runtime = deli::Runtime::builder().current_thread().build().unwrap();
    let value = runtime.block_on(async { *GLOBAL.get_or_init(|| async { 42 }).await });
    assert_eq!(value, 42);
    assert_eq!(GLOBAL.get(), Some(&42));
    // A set value is read without waiting, from a plain thread too.
    assert_eq!(
        std::thread::spawn(|| GLOBAL.get().copied()).join().unwrap(),
        Some(42)
    );
}
