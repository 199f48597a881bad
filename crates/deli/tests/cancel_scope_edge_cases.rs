//! Edge cases of scopes and cancel scopes (async children in the cancel tree, a
//! scope run by many tasks, holds released with the run, no busy wake-ups
//! while held, a panicking body waits for its children, pool children may
//! start async children, an outer cancel is not an inner timeout).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use deli::scope::CancelScope;
use deli::{Runtime, ThreadPool};

fn runtime() -> Runtime {
    Runtime::builder().workers(2).build().unwrap()
}

/// Counts how often the wrapped future is polled.
struct CountPolls<F>(Pin<Box<F>>, Arc<AtomicUsize>);
impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.as_mut().poll(cx)
    }
}

/// Finding 1: A grandchild (pool job in a scope nested in an async child) outlives
/// the outer scope when a sibling fails.
#[test]
fn r1_grandchild_outlives_outer_scope() {
    let rt = runtime();
    let pool = Arc::new(ThreadPool::new(2).unwrap());
    let job_running = Arc::new(AtomicBool::new(false));
    let (p, jr) = (pool.clone(), job_running.clone());
    let out = rt.block_on(async move {
        deli::scope(move |s| async move {
            let (p2, jr2) = (p.clone(), jr.clone());
            s.spawn(async move {
                let r = deli::scope(move |inner| async move {
                    inner.submit(&p2, move || {
                        jr2.store(true, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(500));
                        jr2.store(false, Ordering::SeqCst);
                        Ok::<_, std::io::Error>(())
                    });
                    std::future::pending::<()>().await;
                })
                .await;
                Ok::<_, String>(r.is_ok())
            });
            deli::sleep(Duration::from_millis(50)).await;
            s.spawn(async { Err::<(), _>("boom".to_string()) });
        })
        .await
    });
    assert!(out.is_err());
    let still = job_running.load(Ordering::SeqCst);
    eprintln!("r1: grandchild still running after outer scope returned: {still}");
    assert!(!still, "grandchild outlived the outer scope");
}

/// Finding 1b: A shielded cancel scope inside an async child is not honoured.
#[test]
fn r1b_shield_inside_async_child_ignored() {
    let rt = runtime();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let _ = rt.block_on(async move {
        deli::scope(move |s| async move {
            s.spawn(async move {
                CancelScope::new()
                    .shielded(true)
                    .run(deli::sleep(Duration::from_millis(100)))
                    .await;
                f.store(true, Ordering::SeqCst);
                Ok::<_, String>(())
            });
            deli::sleep(Duration::from_millis(20)).await;
            s.cancel();
        })
        .await
    });
    let v = finished.load(Ordering::SeqCst);
    eprintln!("r1b: shielded part finished: {v}");
    assert!(v, "the shield inside the child was cut short");
}

/// Finding 2: set_shield(true) after a run ended leaves a hold on the ancestors:
/// the outer deadline never ends its future.
#[test]
fn r2_set_shield_after_run_leaks_hold() {
    let rt = runtime();
    let out = rt.block_on(async {
        deli::timeout(
            Duration::from_secs(3),
            deli::move_on_after(Duration::from_millis(20), async {
                let inner = CancelScope::new();
                inner.run(async {}).await;
                inner.set_shield(true);
                std::future::pending::<()>().await;
            }),
        )
        .await
    });
    eprintln!("r2: {out:?}");
    assert!(out.is_ok(), "move_on_after never returned: the hold leaked");
}

/// Finding 3: One CancelScope used as a token by two tasks: cancel wakes only one.
#[test]
fn r3_one_scope_run_by_two_tasks() {
    let rt = runtime();
    let out = rt.block_on(async {
        let token = CancelScope::new();
        let (t1, t2) = (token.clone(), token.clone());
        let a = deli::spawn(async move { t1.run(std::future::pending::<()>()).await });
        let b = deli::spawn(async move { t2.run(std::future::pending::<()>()).await });
        deli::sleep(Duration::from_millis(50)).await;
        token.cancel();
        let a = deli::timeout(Duration::from_secs(2), a).await;
        let b = deli::timeout(Duration::from_secs(2), b).await;
        (a.is_ok(), b.is_ok())
    });
    eprintln!("r3: (a ended, b ended) = {out:?}");
    assert_eq!(out, (true, true));
}

/// Finding 3b: A CancelScope reused under a second outer scope keeps the first parent.
#[test]
fn r3b_reused_scope_keeps_stale_parent() {
    let rt = runtime();
    let out = rt.block_on(async {
        let reused = CancelScope::new();
        let r1 = reused.clone();
        CancelScope::new()
            .run(async move { r1.run(async {}).await })
            .await;
        let r2 = reused.clone();
        deli::timeout(
            Duration::from_secs(2),
            deli::move_on_after(Duration::from_millis(20), async move {
                r2.run(std::future::pending::<()>()).await
            }),
        )
        .await
    });
    eprintln!("r3b: {out:?}");
    assert!(out.is_ok());
}

/// Finding 4: A held, cancelled Run whose deadline passed re-polls in a busy loop.
#[test]
fn r4_held_past_deadline_spins() {
    let rt = runtime();
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let polls = Arc::new(AtomicUsize::new(0));
    let (p, c) = (pool.clone(), polls.clone());
    let start = Instant::now();
    let _ = rt.block_on(async move {
        deli::fail_after(
            Duration::from_millis(10),
            CountPolls(
                Box::pin(deli::scope(move |s| async move {
                    s.submit(&p, || {
                        std::thread::sleep(Duration::from_millis(300));
                        Ok::<_, std::io::Error>(())
                    });
                })),
                c,
            ),
        )
        .await
    });
    let n = polls.load(Ordering::SeqCst);
    eprintln!("r4: inner future polled {n} times in {:?}", start.elapsed());
    assert!(n < 50, "busy loop while held: {n} polls");
}

/// Finding 4b: Same with a shield (the doc example shape).
#[test]
fn r4b_shield_past_deadline_spins() {
    let rt = runtime();
    let polls = Arc::new(AtomicUsize::new(0));
    let c = polls.clone();
    let _ = rt.block_on(async move {
        deli::move_on_after(
            Duration::from_millis(5),
            CountPolls(
                Box::pin(async {
                    CancelScope::new()
                        .shielded(true)
                        .run(deli::sleep(Duration::from_millis(300)))
                        .await;
                }),
                c,
            ),
        )
        .await
    });
    let n = polls.load(Ordering::SeqCst);
    eprintln!("r4b: polled {n} times");
    assert!(n < 50, "busy loop while shielded: {n} polls");
}

/// Finding 5: A body panic: children are abandoned, not waited for.
#[test]
fn r5_body_panic_abandons_children() {
    let rt = runtime();
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let running = Arc::new(AtomicBool::new(false));
    let (p, r) = (pool.clone(), running.clone());
    let t = rt.block_on(async move {
        deli::spawn(async move {
            let _ = deli::scope(move |s| async move {
                s.submit(&p, move || {
                    r.store(true, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(300));
                    r.store(false, Ordering::SeqCst);
                    Ok::<_, std::io::Error>(())
                });
                deli::sleep(Duration::from_millis(30)).await;
                if running_check() {
                    panic!("body panics");
                }
            })
            .await;
        })
        .await
    });
    let still = running.load(Ordering::SeqCst);
    eprintln!("r5: task result {t:?}; child still running: {still}");
    assert!(!still);
}

/// Finding 6: scope::is_cancelled() inside an async child of a cancelled scope.
#[test]
fn r6_is_cancelled_in_async_child() {
    let rt = runtime();
    let seen = Arc::new(AtomicBool::new(false));
    let sn = seen.clone();
    let _ = rt.block_on(async move {
        deli::scope(move |s| async move {
            let s2 = s.clone();
            s.spawn(async move {
                s2.cancel();
                sn.store(deli::scope::is_cancelled(), Ordering::SeqCst);
                Ok::<_, String>(())
            });
        })
        .await
    });
    let v = seen.load(Ordering::SeqCst);
    eprintln!("r6: is_cancelled() inside child after cancel: {v}");
    assert!(v);
}

/// Finding 3c: A reused shielded CancelScope no longer holds: the outer cancel cuts
/// through the shield on the second run.
#[test]
fn r3c_reused_shield_stops_holding() {
    let rt = runtime();
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    rt.block_on(async move {
        let shield = CancelScope::new().shielded(true);
        shield.run(async {}).await;
        let s2 = shield.clone();
        deli::move_on_after(Duration::from_millis(10), async move {
            s2.run(deli::sleep(Duration::from_millis(100))).await;
            d.store(true, Ordering::SeqCst);
        })
        .await;
    });
    let v = done.load(Ordering::SeqCst);
    eprintln!("r3c: second shielded run finished: {v}");
    assert!(v);
}

/// Finding 8: A pool child starts an async child through the scope handle.
#[test]
fn r8_pool_child_spawns_async_child() {
    let rt = runtime();
    let pool = Arc::new(ThreadPool::new(1).unwrap());
    let p = pool.clone();
    let out = rt.block_on(async move {
        deli::scope(move |s| async move {
            let s2 = s.clone();
            s.submit(&p, move || {
                let t = s2.spawn(async { Ok::<_, String>(1) });
                t.wait_blocking().map(|_| ()).map_err(|e| e.to_string())
            });
        })
        .await
    });
    assert!(out.is_ok(), "{:?}", out.map_err(|e| e.to_string()));
}

/// Finding 9: An outer cancel makes an inner fail_after report Elapsed at once, and
/// a retry loop over it spins without ever yielding.
#[test]
fn r9_outer_cancel_looks_like_inner_timeout() {
    let rt = runtime();
    let spurious = Arc::new(AtomicUsize::new(0));
    let sp = spurious.clone();
    let start = Instant::now();
    rt.block_on(async move {
        deli::move_on_after(Duration::from_millis(20), async move {
            let mut tries = 0u64;
            loop {
                tries += 1;
                if tries > 2_000_000 {
                    break; // bound for the experiment
                }
                match deli::fail_after(Duration::from_secs(10), async {
                    std::thread::sleep(Duration::from_micros(200))
                })
                .await
                {
                    Ok(()) => {}
                    Err(_) => {
                        sp.fetch_add(1, Ordering::SeqCst); // "timed out" after 0 ms of a 10 s budget
                    }
                }
            }
        })
        .await;
    });
    let n = spurious.load(Ordering::SeqCst);
    eprintln!(
        "r9: {n} spurious Elapsed without yielding, {:?}",
        start.elapsed()
    );
    assert_eq!(n, 0);
}

fn running_check() -> bool {
    true
}
