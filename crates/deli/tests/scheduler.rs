//! Scheduler behaviour: stealing (queue and fast-path slot), fairness,
//! the cooperative budget, builder checks.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{within, BOUND};

/// Blocks the calling worker (inside a poll) until `flag` is set, up to a
/// bound; returns whether it was set.
fn block_until(flag: &AtomicBool, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    while !flag.load(Ordering::SeqCst) {
        if Instant::now() > deadline {
            return false;
        }
        std::hint::spin_loop();
    }
    true
}

#[test]
fn a_task_woken_into_a_stuck_workers_fast_slot_still_runs() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        for round in 0..20 {
            let ran = Arc::new(AtomicBool::new(false));
            let flag = ran.clone();
            let outcome = runtime.block_on(async move {
                deli::spawn(async move {
                    let inner = flag.clone();
                    // Spawned from a worker: goes to this worker's fast slot.
                    let child = deli::spawn(async move { inner.store(true, Ordering::SeqCst) });
                    // Now this worker is stuck until the child has run.
                    let ran = block_until(&flag, Duration::from_secs(20));
                    drop(child);
                    ran
                })
                .await
            });
            assert_eq!(outcome, Ok(true), "round {round}: the child was stranded");
            assert!(ran.load(Ordering::SeqCst));
        }
    });
}

#[test]
fn a_stuck_workers_queue_is_stolen() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let outcome = runtime.block_on(async {
            deli::spawn(async {
                let done = Arc::new(AtomicUsize::new(0));
                let all_done = Arc::new(AtomicBool::new(false));
                for _ in 0..64 {
                    let done = done.clone();
                    let all_done = all_done.clone();
                    drop(deli::spawn(async move {
                        if done.fetch_add(1, Ordering::SeqCst) + 1 == 64 {
                            all_done.store(true, Ordering::SeqCst);
                        }
                    }));
                }
                block_until(&all_done, Duration::from_secs(20))
            })
            .await
        });
        assert_eq!(outcome, Ok(true));
    });
}

#[test]
fn an_always_ready_task_yields_to_its_neighbours() {
    within(BOUND, || {
        // One thread: without a budget the spinning task would never let
        // the other run, and this test would hang until its bound.
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spins = runtime.block_on(async {
            let flag = stop.clone();
            let spinner = deli::spawn(async move {
                let mut spins = 0u64;
                while !flag.load(Ordering::SeqCst) {
                    // Always ready; spends budget.
                    deli::sleep(Duration::ZERO).await;
                    spins += 1;
                }
                spins
            });
            let flag = stop.clone();
            let stopper = deli::spawn(async move { flag.store(true, Ordering::SeqCst) });
            stopper.await.unwrap();
            spinner.await.unwrap()
        });
        assert!(spins >= 1);
    });
}

#[test]
fn yield_now_lets_the_other_tasks_run_in_turn() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        runtime.block_on(async {
            let tickets: Vec<_> = (0..2)
                .map(|id| {
                    let order = order.clone();
                    deli::spawn(async move {
                        for step in 0..3 {
                            order.lock().unwrap().push((id, step));
                            deli::yield_now().await;
                        }
                    })
                })
                .collect();
            for ticket in tickets {
                ticket.await.unwrap();
            }
        });
        let order = order.lock().unwrap().clone();
        assert_eq!(order, vec![(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]);
    });
}

#[test]
fn builder_refuses_nonsense() {
    let zero = deli::Runtime::builder().workers(0).build();
    assert_eq!(zero.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    let blocking = deli::Runtime::builder().max_blocking_threads(0).build();
    assert_eq!(
        blocking.unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    let current = deli::Runtime::builder().current_thread().workers(4).build();
    assert_eq!(
        current.unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
}

#[test]
fn workers_run_in_parallel() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        // Two tasks that each wait (inside a poll) for the other to start:
        // only possible if both workers run at once.
        let first = Arc::new(AtomicBool::new(false));
        let second = Arc::new(AtomicBool::new(false));
        let (a1, a2) = (first.clone(), second.clone());
        let (b1, b2) = (first.clone(), second.clone());
        let a = runtime.spawn(async move {
            a1.store(true, Ordering::SeqCst);
            block_until(&a2, Duration::from_secs(20))
        });
        let b = runtime.spawn(async move {
            b2.store(true, Ordering::SeqCst);
            block_until(&b1, Duration::from_secs(20))
        });
        assert_eq!(a.wait_blocking(), Ok(true));
        assert_eq!(b.wait_blocking(), Ok(true));
    });
}

#[test]
fn absurd_worker_counts_are_refused_not_panicked() {
    let huge = deli::Runtime::builder().workers(usize::MAX).build();
    assert_eq!(huge.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn a_second_block_on_on_a_current_thread_runtime_takes_over() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        std::thread::scope(|scope| {
            let first = scope.spawn(|| runtime.block_on(deli::sleep(Duration::from_millis(20))));
            let second = scope.spawn(|| {
                runtime.block_on(async {
                    deli::sleep(Duration::from_millis(60)).await;
                    deli::spawn(async { 5 }).await
                })
            });
            first.join().unwrap();
            assert_eq!(second.join().unwrap(), Ok(5));
        });
    });
}

#[test]
fn shutdown_timeout_takes_any_duration() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(1).build().unwrap();
        runtime.spawn_blocking(|| ()).wait_blocking().unwrap();
        assert!(runtime.shutdown_timeout(Duration::MAX));
    });
}
