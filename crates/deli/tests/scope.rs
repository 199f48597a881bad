//! Scopes: no child outlives its scope, the first failure cancels the rest,
//! every failure is reported, closed scopes refuse children. Bounded: every
//! wait has a deadline far above what a busy 2-core machine needs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deli::scope::{ChildKind, Scope};
use deli::{JobError, Runtime, ThreadPool};

fn runtime() -> Runtime {
    Runtime::builder().workers(2).build().unwrap()
}

/// Counts a child as alive from creation until it is dropped, whichever
/// way it ends.
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(count: &Arc<AtomicUsize>) -> Alive {
        count.fetch_add(1, Ordering::SeqCst);
        Alive(count.clone())
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A small deterministic generator, so a failing seed can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn a_thousand_random_scopes_leak_no_child() {
    let runtime = runtime();
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let alive = Arc::new(AtomicUsize::new(0));
    let mut rng = Lcg(7);
    let mut failed_scopes = 0;
    for round in 0..1000 {
        let children = 1 + rng.next(8);
        let plan: Vec<(u64, u64, bool)> = (0..children)
            .map(|_| (rng.next(3), rng.next(4), rng.next(6) == 0))
            .collect();
        let expect_failure = plan.iter().any(|&(_, _, fails)| fails);
        let (alive_in, pool_in) = (alive.clone(), pool.clone());
        let outcome = runtime
            .block_on(async move {
                deli::timeout(
                    Duration::from_secs(20),
                    deli::scope(move |s| async move {
                        for (kind, delay, fails) in plan {
                            let guard = Alive::new(&alive_in);
                            match kind {
                                0 => {
                                    s.spawn(async move {
                                        let _guard = guard;
                                        for _ in 0..delay {
                                            deli::yield_now().await;
                                        }
                                        deli::sleep(Duration::from_millis(delay)).await;
                                        if fails {
                                            Err("async child failed")
                                        } else {
                                            Ok(())
                                        }
                                    });
                                }
                                1 => {
                                    s.submit(&pool_in, move || {
                                        let _guard = guard;
                                        let until =
                                            Instant::now() + Duration::from_micros(200 * delay);
                                        while Instant::now() < until && !deli::pool::is_cancelled()
                                        {
                                            std::hint::spin_loop();
                                        }
                                        if fails {
                                            Err("pool child failed")
                                        } else {
                                            Ok(())
                                        }
                                    });
                                }
                                _ => {
                                    // A child that starts a grandchild.
                                    let inner = s.clone();
                                    let alive_in = alive_in.clone();
                                    s.spawn(async move {
                                        let _guard = guard;
                                        let grandchild_guard = Alive::new(&alive_in);
                                        inner.spawn(async move {
                                            let _g = grandchild_guard;
                                            deli::sleep(Duration::from_millis(delay)).await;
                                        });
                                        deli::sleep(Duration::from_millis(delay)).await;
                                        if fails {
                                            Err("parent child failed")
                                        } else {
                                            Ok(())
                                        }
                                    });
                                }
                            }
                        }
                    }),
                )
                .await
            })
            .unwrap_or_else(|_| panic!("round {round}: the scope did not end within 20 s"));
        // The scope has returned: every child it had has ended and been dropped.
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "round {round}: a child outlived its scope"
        );
        assert_eq!(
            outcome.is_err(),
            expect_failure,
            "round {round}: {outcome:?}"
        );
        if let Err(error) = outcome {
            failed_scopes += 1;
            assert!(!error.is_cancelled());
            assert!(!error.failures().is_empty());
        }
    }
    assert!(
        failed_scopes > 100,
        "the plan should fail often: {failed_scopes}"
    );
}

#[test]
fn siblings_of_a_failing_child_stop_within_one_await() {
    // One thread: the order of polls is fixed, so "one await" is exact.
    let runtime = Runtime::builder()
        .flavor(deli::Flavor::CurrentThread)
        .build()
        .unwrap();
    let progress = Arc::new(AtomicUsize::new(0));
    let at_failure = Arc::new(AtomicUsize::new(usize::MAX));
    let (p, f) = (progress.clone(), at_failure.clone());
    let outcome = runtime.block_on(deli::scope(move |s| async move {
        let p2 = p.clone();
        s.spawn(async move {
            for _ in 0..u64::MAX {
                p2.fetch_add(1, Ordering::SeqCst);
                deli::yield_now().await;
            }
        });
        s.spawn(async move {
            for _ in 0..10 {
                deli::yield_now().await;
            }
            f.store(p.load(Ordering::SeqCst), Ordering::SeqCst);
            Err::<(), _>("enough")
        });
    }));
    let error = outcome.unwrap_err();
    assert_eq!(error.first().unwrap().error().to_string(), "enough");
    let after = progress.load(Ordering::SeqCst) - at_failure.load(Ordering::SeqCst);
    assert!(
        after <= 1,
        "the sibling ran {after} more steps after the failure"
    );
}

#[test]
fn every_failure_is_reported_first_one_first() {
    let runtime = runtime();
    let error = runtime
        .block_on(deli::scope(|s| async move {
            s.spawn(async { Err::<(), _>("first") });
            // Ignores cancellation (no await), so it fails too.
            s.spawn(async {
                std::thread::sleep(Duration::from_millis(50));
                Err::<(), _>("second")
            });
        }))
        .unwrap_err();
    let messages: Vec<String> = error
        .failures()
        .iter()
        .map(|f| f.error().to_string())
        .collect();
    assert!((1..=2).contains(&messages.len()), "{messages:?}");
    assert!(messages.contains(&"first".to_string()), "{messages:?}");
    assert!(error.to_string().contains("failed"));
}

#[test]
fn a_panicking_child_fails_the_scope() {
    let runtime = runtime();
    let pool = ThreadPool::new(1).unwrap();
    let error = runtime
        .block_on(deli::scope(|s| async move {
            s.submit(&pool, || -> Result<(), String> { panic!("pool boom") });
        }))
        .unwrap_err();
    let failure = error.first().unwrap();
    assert_eq!(failure.kind(), ChildKind::Pool);
    assert_eq!(
        failure.error().downcast_ref::<JobError>(),
        Some(&JobError::Panicked("pool boom".into()))
    );
}

#[test]
fn a_failure_cancels_pool_jobs_queued_and_running() {
    let runtime = runtime();
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let saw_cancel = Arc::new(AtomicBool::new(false));
    let queued_ran = Arc::new(AtomicBool::new(false));
    let (saw, ran, p) = (saw_cancel.clone(), queued_ran.clone(), pool.clone());
    let started = Arc::new(AtomicBool::new(false));
    let started_in = started.clone();
    let error = runtime
        .block_on(deli::scope(move |s| async move {
            // Holds the pool's only thread until it is told to stop.
            s.submit(&p, move || {
                started_in.store(true, Ordering::SeqCst);
                let until = Instant::now() + Duration::from_secs(20);
                while Instant::now() < until {
                    if deli::pool::is_cancelled() {
                        saw.store(true, Ordering::SeqCst);
                        break;
                    }
                    std::thread::yield_now();
                }
            });
            s.submit(&p, move || ran.store(true, Ordering::SeqCst));
            while !started.load(Ordering::SeqCst) {
                deli::sleep(Duration::from_millis(1)).await;
            }
            s.spawn(async { Err::<(), _>("stop everything") });
        }))
        .unwrap_err();
    assert_eq!(error.failures().len(), 1);
    assert!(
        saw_cancel.load(Ordering::SeqCst),
        "the running job saw is_cancelled()"
    );
    assert!(!queued_ran.load(Ordering::SeqCst), "a queued job never ran");
}

#[test]
fn a_closed_scope_refuses_children() {
    let runtime = runtime();
    let leaked: Scope = runtime
        .block_on(deli::scope(|s| async move { Ok::<_, JobError>(s.clone()) }))
        .unwrap();
    let ticket = runtime.block_on(async { leaked.spawn(async {}).await });
    assert_eq!(ticket, Err(JobError::ScopeClosed));
    let pool = ThreadPool::new(1).unwrap();
    assert_eq!(
        leaked.submit(&pool, || ()).wait_blocking(),
        Err(JobError::ScopeClosed)
    );
}

#[test]
fn a_scope_waits_for_grandchildren() {
    let runtime = runtime();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    runtime
        .block_on(deli::scope(move |s| async move {
            let inner = s.clone();
            s.spawn(async move {
                for _ in 0..5 {
                    let d = d.clone();
                    inner.spawn(async move {
                        deli::sleep(Duration::from_millis(20)).await;
                        d.fetch_add(1, Ordering::SeqCst);
                    });
                }
            });
        }))
        .unwrap();
    assert_eq!(done.load(Ordering::SeqCst), 5);
}

#[test]
fn a_body_cut_short_or_a_child_cancelled_is_not_success() {
    let runtime = runtime();
    // The body finished, but a child was cancelled by the scope's own cancel.
    let outcome = runtime.block_on(deli::scope(|s| async move {
        s.spawn(std::future::pending::<()>());
        s.cancel();
        Ok::<_, JobError>("body value")
    }));
    assert!(outcome.unwrap_err().is_cancelled());
    // Cancelled with nothing left running: the body's value stands.
    let outcome = runtime.block_on(deli::scope(|s| async move {
        s.cancel();
        Ok::<_, JobError>("body value")
    }));
    assert_eq!(outcome.unwrap(), "body value");
    // A child the user cancels through its own ticket is not the scope's doing.
    let outcome = runtime.block_on(deli::scope(|s| async move {
        let ticket = s.spawn(std::future::pending::<()>());
        ticket.cancel();
        assert_eq!(ticket.await, Err(JobError::Cancelled));
        Ok::<_, JobError>(5)
    }));
    assert_eq!(outcome.unwrap(), 5);
}

#[test]
fn outside_a_runtime_an_async_child_fails_the_scope() {
    let error = block_on_without_runtime(deli::scope(|s| async move {
        s.spawn(async {});
    }));
    let error = error.unwrap_err();
    assert_eq!(
        error.first().unwrap().error().downcast_ref::<JobError>(),
        Some(&JobError::NoRuntime)
    );
}

#[test]
fn a_deadline_around_a_scope_cancels_and_waits_for_its_children() {
    let runtime = runtime();
    let alive = Arc::new(AtomicUsize::new(0));
    let a = alive.clone();
    let start = Instant::now();
    let outcome = runtime.block_on(deli::fail_after(
        Duration::from_millis(30),
        deli::scope(move |s| async move {
            for _ in 0..4 {
                let guard = Alive::new(&a);
                s.spawn(async move {
                    let _guard = guard;
                    deli::sleep(Duration::from_secs(60)).await;
                });
            }
            let guard = Alive::new(&a);
            let _body_guard = guard;
            deli::sleep(Duration::from_secs(60)).await;
        }),
    ));
    assert!(start.elapsed() < Duration::from_secs(20));
    // The scope saw the deadline, cancelled everything, waited; then the
    // deadline took it.
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(
        alive.load(Ordering::SeqCst),
        0,
        "every child ended before the scope returned"
    );
}

/// Polls a future on this thread with no deli runtime around it.
fn block_on_without_runtime<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        assert!(
            Instant::now() < deadline,
            "the future did not finish within 20 s"
        );
        std::thread::park_timeout(Duration::from_millis(10));
    }
}

#[test]
fn a_failure_outside_reaches_a_nested_scope_which_waits_for_its_children() {
    let runtime = runtime();
    let alive = Arc::new(AtomicUsize::new(0));
    let (a, watch) = (alive.clone(), alive.clone());
    let error = runtime
        .block_on(deli::scope(move |outer| async move {
            outer.spawn(async {
                deli::sleep(Duration::from_millis(20)).await;
                Err::<(), _>("outer child failed")
            });
            let inner = deli::scope(move |s| async move {
                for _ in 0..3 {
                    let guard = Alive::new(&a);
                    s.spawn(async move {
                        let _guard = guard;
                        deli::sleep(LONG).await;
                    });
                }
            })
            .await;
            // The inner scope returned: its children are gone already.
            assert!(inner.unwrap_err().is_cancelled());
            assert_eq!(a_count(&watch), 0);
        }))
        .unwrap_err();
    assert_eq!(error.failures().len(), 1);
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

const LONG: Duration = Duration::from_secs(60);

fn a_count(count: &AtomicUsize) -> usize {
    count.load(Ordering::SeqCst)
}

#[test]
fn a_scope_dropped_unpolled_cancels_children_it_already_started() {
    let runtime = runtime();
    let result = runtime.block_on(async {
        let mut started = None;
        let future = deli::scope(|s| {
            started = Some(s.spawn(std::future::pending::<()>()));
            async {}
        });
        drop(future);
        started.unwrap().await
    });
    assert_eq!(result, Err(JobError::Cancelled));
}
