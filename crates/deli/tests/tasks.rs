//! Tasks and tickets: spawning, results, panics, cancel, detach, waiting.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{runtimes, within, DropCounter, BOUND};
use deli::JobError;

#[test]
fn spawned_tasks_return_their_values_on_both_flavours() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let sum = runtime.block_on(async {
                let tickets: Vec<_> = (0..100u64)
                    .map(|n| deli::spawn(async move { n * 2 }))
                    .collect();
                let mut sum = 0;
                for ticket in tickets {
                    sum += ticket.await.unwrap();
                }
                sum
            });
            assert_eq!(sum, 9900, "{flavour}");
        }
    });
}

#[test]
fn handle_spawns_from_foreign_threads() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let handle = runtime.handle().clone();
            let tickets: Vec<_> = (0..8u32)
                .map(|n| {
                    let handle = handle.clone();
                    std::thread::spawn(move || handle.spawn(async move { n + 1 }))
                })
                .map(|thread| thread.join().unwrap())
                .collect();
            // A current-thread runtime runs tasks only inside block_on.
            let results = runtime.block_on(async {
                let mut results = Vec::new();
                for ticket in tickets {
                    results.push(ticket.await.unwrap());
                }
                results
            });
            assert_eq!(results, (1..=8).collect::<Vec<_>>(), "{flavour}");
        }
    });
}

#[test]
fn a_panic_becomes_an_error_with_its_message_and_the_worker_survives() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            runtime.block_on(async {
                for round in 0..10 {
                    let ticket = deli::spawn(async move {
                        if round >= 0 {
                            panic!("round {round} failed");
                        }
                    });
                    assert_eq!(
                        ticket.await,
                        Err(JobError::Panicked(format!("round {round} failed").into())),
                        "{flavour}"
                    );
                }
                // Workers still run tasks.
                assert_eq!(deli::spawn(async { 5 }).await, Ok(5));
            });
        }
    });
}

/// A future that never completes and counts its drop.
struct Forever(#[allow(dead_code)] common::DropToken);

impl Future for Forever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn cancel_resolves_cancelled_and_drops_the_future_promptly() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let drops = DropCounter::default();
            let token = drops.token();
            let (polled_tx, polled_rx) = mpsc::channel();
            let ticket = runtime.spawn(async move {
                let _token = token;
                polled_tx.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            // Let the task park first (current-thread needs block_on to run it).
            runtime.block_on(async {
                while polled_rx.try_recv().is_err() {
                    deli::yield_now().await;
                }
            });
            assert_eq!(drops.count(), 0);
            ticket.cancel();
            let result = runtime.block_on(ticket);
            assert_eq!(result, Err(JobError::Cancelled), "{flavour}");
            assert_eq!(
                drops.count(),
                1,
                "{flavour}: the future is dropped by the time the ticket resolves"
            );
        }
    });
}

#[test]
fn cancel_before_the_first_poll_never_runs_the_future() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        // Outside block_on a current-thread runtime polls nothing.
        let ticket = runtime.spawn(async move { flag.store(true, Ordering::SeqCst) });
        ticket.cancel();
        assert_eq!(runtime.block_on(ticket), Err(JobError::Cancelled));
        assert!(!ran.load(Ordering::SeqCst));
    });
}

#[test]
fn dropping_a_ticket_detaches_the_task() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let finished = Arc::new(AtomicBool::new(false));
            let flag = finished.clone();
            runtime.block_on(async move {
                let ticket = deli::spawn(async move {
                    for _ in 0..10 {
                        deli::yield_now().await;
                    }
                    flag.store(true, Ordering::SeqCst);
                });
                drop(ticket);
                let probe = deli::spawn(async {});
                probe.await.unwrap();
            });
            runtime.block_on(async {
                while !finished.load(Ordering::SeqCst) {
                    deli::yield_now().await;
                }
            });
            assert!(finished.load(Ordering::SeqCst), "{flavour}");
        }
    });
}

#[test]
fn wait_and_wait_timeout_from_plain_threads() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = std::sync::Mutex::new(release_rx);
        let mut ticket = runtime.spawn_blocking(move || {
            release_rx.lock().unwrap().recv().unwrap();
            7
        });
        assert_eq!(
            ticket.wait_blocking_timeout(Duration::from_millis(20)),
            Err(JobError::WaitTimedOut)
        );
        assert!(!ticket.is_done());
        release_tx.send(()).unwrap();
        assert_eq!(ticket.wait_blocking_timeout(Duration::from_secs(30)), Ok(7));
        assert_eq!(
            ticket.wait_blocking_timeout(Duration::from_millis(1)),
            Err(JobError::AlreadyTaken)
        );
    });
}

#[test]
fn ids_are_unique_and_spawn_outside_a_runtime_is_an_error() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let ids: std::collections::HashSet<_> =
            (0..1000).map(|_| runtime.spawn(async {}).id()).collect();
        assert_eq!(ids.len(), 1000);
        assert_eq!(
            deli::spawn(async { 1 }).wait_blocking(),
            Err(JobError::NoRuntime)
        );
    });
}

#[test]
fn tickets_can_be_awaited_by_other_tasks_and_across_runtimes() {
    within(BOUND, || {
        let first = deli::Runtime::builder().workers(1).build().unwrap();
        let second = deli::Runtime::builder().current_thread().build().unwrap();
        let ticket = first.spawn(async {
            deli::sleep(Duration::from_millis(5)).await;
            "from the first"
        });
        let answer = second.block_on(async move { deli::spawn(ticket).await.unwrap() });
        assert_eq!(answer, Ok("from the first"));
    });
}

#[test]
fn a_named_task_and_a_created_task() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let named = deli::TaskBuilder::new()
            .name("worker-7")
            .spawn_on(async { 7 }, runtime.handle());
        assert_eq!(named.wait_blocking(), Ok(7));

        let (ticket, start) = deli::TaskBuilder::new().create_on(async { 8 }, runtime.handle());
        assert_eq!(ticket.state(), deli::State::New);
        start.start();
        assert_eq!(ticket.wait_blocking(), Ok(8));

        let ran = Arc::new(AtomicUsize::new(0));
        let counter = ran.clone();
        let (ticket, start) = deli::TaskBuilder::new().create_on(
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
            },
            runtime.handle(),
        );
        drop(start);
        assert_eq!(ticket.wait_blocking(), Err(JobError::Cancelled));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    });
}

#[test]
fn shutdown_resolves_pending_tickets_and_drops_futures() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let drops = DropCounter::default();
            let tickets: Vec<_> = (0..50)
                .map(|_| runtime.spawn(Forever(drops.token())))
                .collect();
            // Let some of them park (multi-thread polls them right away).
            runtime.block_on(async {
                for _ in 0..10 {
                    deli::yield_now().await;
                }
            });
            drop(runtime);
            assert_eq!(drops.count(), 50, "{flavour}: every future dropped");
            for ticket in tickets {
                assert_eq!(ticket.wait_blocking(), Err(JobError::Shutdown), "{flavour}");
            }
        }
    });
}

#[test]
fn awaiting_many_pending_tickets_at_once_does_not_spin() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let polls = runtime.block_on(async {
            let gates: Vec<Arc<common::Gate>> = (0..300)
                .map(|_| Arc::new(common::Gate::default()))
                .collect();
            let mut tickets: Vec<_> = gates.iter().map(|gate| deli::spawn(gate.wait())).collect();
            let opener = {
                let gates = gates.clone();
                deli::spawn(async move {
                    deli::sleep(Duration::from_millis(50)).await;
                    gates.iter().for_each(|gate| gate.open());
                })
            };
            let mut polls = 0u32;
            // Poll every ticket each time; only count the polls.
            let waiter = deli::spawn(std::future::poll_fn(move |cx| {
                polls += 1;
                tickets.retain_mut(|ticket| Pin::new(ticket).poll(cx).is_pending());
                if tickets.is_empty() {
                    Poll::Ready(polls)
                } else {
                    Poll::Pending
                }
            }));
            opener.await.unwrap();
            waiter.await.unwrap()
        });
        // A few polls per wave of wake-ups, not thousands of spins.
        assert!(polls < 400, "polled {polls} times");
    });
}
