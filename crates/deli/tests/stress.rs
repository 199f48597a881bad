//! Bounded stress: many tasks, foreign wakes, cancel racing completion,
//! shutdown with everything pending.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{runtimes, within, DropCounter, Gate, BOUND};
use deli::JobError;

#[test]
fn a_hundred_thousand_tasks_all_complete() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let completed = Arc::new(AtomicUsize::new(0));
            let counter = completed.clone();
            let sum = runtime.block_on(async move {
                let tickets: Vec<_> = (0..100_000u64)
                    .map(|n| {
                        let counter = counter.clone();
                        deli::spawn(async move {
                            counter.fetch_add(1, Ordering::Relaxed);
                            n
                        })
                    })
                    .collect();
                let mut sum = 0;
                for ticket in tickets {
                    sum += ticket.await.unwrap();
                }
                sum
            });
            assert_eq!(sum, (0..100_000u64).sum::<u64>(), "{flavour}");
            assert_eq!(completed.load(Ordering::SeqCst), 100_000, "{flavour}");
        }
    });
}

#[test]
fn wakes_from_foreign_threads_reach_every_task() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let gates: Vec<Arc<Gate>> = (0..2_000).map(|_| Arc::new(Gate::default())).collect();
            let tickets: Vec<_> = gates
                .iter()
                .enumerate()
                .map(|(index, gate)| {
                    let wait = gate.wait();
                    runtime.spawn(async move {
                        wait.await;
                        index
                    })
                })
                .collect();
            let openers: Vec<_> = gates
                .chunks(500)
                .map(|chunk| {
                    let chunk = chunk.to_vec();
                    std::thread::spawn(move || chunk.iter().for_each(|gate| gate.open()))
                })
                .collect();
            let results = runtime.block_on(async move {
                let mut results = Vec::new();
                for ticket in tickets {
                    results.push(ticket.await.unwrap());
                }
                results
            });
            for opener in openers {
                opener.join().unwrap();
            }
            assert_eq!(results, (0..2_000).collect::<Vec<_>>(), "{flavour}");
        }
    });
}

#[test]
fn cancel_racing_completion_drops_every_future_exactly_once() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let drops = DropCounter::default();
        let mut completed = 0;
        let mut cancelled = 0;
        const ROUNDS: usize = 10_000;
        for round in 0..ROUNDS {
            let token = drops.token();
            let ticket = runtime.spawn(async move {
                let _token = token;
                if round % 2 == 0 {
                    deli::yield_now().await;
                }
                round
            });
            ticket.cancel();
            match ticket.wait_blocking() {
                Ok(value) => {
                    assert_eq!(value, round);
                    completed += 1;
                }
                Err(JobError::Cancelled) => cancelled += 1,
                Err(other) => panic!("round {round}: unexpected {other:?}"),
            }
        }
        drop(runtime);
        assert_eq!(completed + cancelled, ROUNDS);
        assert_eq!(drops.count(), ROUNDS, "every future dropped exactly once");
        assert!(cancelled > 0, "some cancels should win the race");
    });
}

#[test]
fn shutdown_with_pending_timers_tasks_and_blocking_calls() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let drops = DropCounter::default();
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let release_rx = Arc::new(Mutex::new(release_rx));

            let sleepers: Vec<_> = (0..100)
                .map(|_| {
                    let token = drops.token();
                    runtime.spawn(async move {
                        let _token = token;
                        deli::sleep(Duration::from_secs(3600)).await;
                    })
                })
                .collect();
            let parked: Vec<_> = (0..100)
                .map(|_| {
                    let token = drops.token();
                    runtime.spawn(async move {
                        let _token = token;
                        std::future::pending::<()>().await;
                    })
                })
                .collect();
            let running = {
                let release_rx = release_rx.clone();
                runtime.spawn_blocking(move || release_rx.lock().unwrap().recv().is_ok())
            };
            // Let everything get going.
            runtime.block_on(async {
                deli::sleep(Duration::from_millis(20)).await;
            });

            drop(runtime);
            assert_eq!(drops.count(), 200, "{flavour}: every task future dropped");
            for ticket in sleepers.into_iter().chain(parked) {
                assert_eq!(ticket.wait_blocking(), Err(JobError::Shutdown), "{flavour}");
            }
            // A blocking call that is already running finishes on its thread.
            release_tx.send(()).unwrap();
            assert_eq!(running.wait_blocking(), Ok(true), "{flavour}");
        }
    });
}

#[test]
fn spawns_racing_shutdown_all_resolve() {
    within(BOUND, || {
        for round in 0..20 {
            let runtime = deli::Runtime::builder().workers(2).build().unwrap();
            let handle = runtime.handle().clone();
            let spawner = std::thread::spawn(move || {
                (0..2_000)
                    .map(|n| handle.spawn(async move { n }))
                    .collect::<Vec<_>>()
            });
            std::thread::sleep(Duration::from_micros(200));
            drop(runtime);
            for ticket in spawner.join().unwrap() {
                match ticket.wait_blocking() {
                    Ok(_) | Err(JobError::Shutdown) => {}
                    Err(other) => panic!("round {round}: unexpected {other:?}"),
                }
            }
        }
    });
}

#[test]
fn a_task_started_after_shutdown_resolves_shutdown() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let (ticket, start) = deli::TaskBuilder::new().create_on(async { 1 }, runtime.handle());
            drop(runtime);
            start.start();
            assert_eq!(ticket.wait_blocking(), Err(JobError::Shutdown), "{flavour}");
        }
    });
}

#[test]
fn dropping_the_runtime_inside_its_own_task_does_not_hang() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let parked = runtime.spawn(std::future::pending::<()>());
        let (runtime_tx, runtime_rx) = mpsc::channel::<deli::Runtime>();
        let runtime_rx = Mutex::new(runtime_rx);
        let dropper = runtime.spawn(async move {
            let runtime = runtime_rx.lock().unwrap().recv().unwrap();
            drop(runtime);
            "dropped"
        });
        runtime_tx.send(runtime).unwrap();
        assert_eq!(dropper.wait_blocking(), Ok("dropped"));
        assert_eq!(parked.wait_blocking(), Err(JobError::Shutdown));
    });
}

#[test]
fn a_detached_output_that_panics_when_dropped_does_not_abort() {
    struct Grenade;
    impl Drop for Grenade {
        fn drop(&mut self) {
            panic!("dropped");
        }
    }
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        for _ in 0..10 {
            drop(runtime.spawn(async { Grenade }));
        }
        assert_eq!(runtime.spawn(async { 3 }).wait_blocking(), Ok(3));
    });
}
