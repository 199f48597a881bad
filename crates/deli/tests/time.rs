//! Timers under the real runtime.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{runtimes, within, BOUND};

#[test]
fn sleeps_never_end_early() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            runtime.block_on(async {
                for millis in [0u64, 1, 3, 10] {
                    let started = Instant::now();
                    deli::sleep(Duration::from_millis(millis)).await;
                    assert!(
                        started.elapsed() >= Duration::from_millis(millis),
                        "{flavour}"
                    );
                }
            });
        }
    });
}

#[test]
fn a_hundred_thousand_pending_timers() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let fired = Arc::new(AtomicUsize::new(0));
            let counter = fired.clone();
            runtime.block_on(async move {
                let tickets: Vec<_> = (0..100_000u64)
                    .map(|n| {
                        let counter = counter.clone();
                        deli::spawn(async move {
                            let duration = Duration::from_millis(1 + n % 50);
                            let started = Instant::now();
                            deli::sleep(duration).await;
                            assert!(started.elapsed() >= duration);
                            counter.fetch_add(1, Ordering::Relaxed);
                        })
                    })
                    .collect();
                for ticket in tickets {
                    ticket.await.unwrap();
                }
            });
            assert_eq!(fired.load(Ordering::SeqCst), 100_000, "{flavour}");
        }
    });
}

#[test]
fn dropped_sleeps_and_timeouts_do_not_fire() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            runtime.block_on(async {
                // A timeout around a slow sleep elapses; the sleep is dropped.
                let result = deli::timeout(
                    Duration::from_millis(5),
                    deli::sleep(Duration::from_secs(3600)),
                )
                .await;
                assert!(result.is_err(), "{flavour}");
                // A fast future beats its deadline.
                let result = deli::timeout(Duration::from_secs(3600), async { 7 }).await;
                assert_eq!(result, Ok(7), "{flavour}");
                // Many dropped long sleeps cost nothing later.
                for _ in 0..10_000 {
                    let sleep = deli::sleep(Duration::from_secs(3600));
                    let _ = deli::timeout(Duration::ZERO, sleep).await;
                }
            });
        }
    });
}

#[test]
fn interval_ticks_in_order() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            runtime.block_on(async {
                let mut interval = deli::interval(Duration::from_millis(2));
                let mut last = interval.tick().await;
                for _ in 0..5 {
                    let tick = interval.tick().await;
                    assert!(tick > last, "{flavour}");
                    assert!(Instant::now() >= tick, "{flavour}");
                    last = tick;
                }
            });
        }
    });
}

#[test]
fn a_timer_registered_from_another_thread_wakes_a_parked_runtime() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        // Every worker is parked (nothing to do); a task spawned from here
        // registers a short timer that must interrupt the long park.
        std::thread::sleep(Duration::from_millis(20));
        let started = Instant::now();
        let ticket = runtime.spawn(async {
            deli::sleep(Duration::from_millis(5)).await;
        });
        ticket.wait_blocking().unwrap();
        assert!(started.elapsed() >= Duration::from_millis(5));
    });
}
