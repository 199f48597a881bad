//! Cancel scopes: deadlines that move, cancel from outside, nesting,
//! shielding, level-triggered cancellation, `move_on_*` and `fail_*`.
//! Bounded: every wait is far shorter than its limit.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use deli::scope::{is_cancelled, CancelScope};
use deli::Runtime;

fn runtime() -> Runtime {
    Runtime::builder().workers(2).build().unwrap()
}

const LONG: Duration = Duration::from_secs(30);

#[test]
fn cancel_from_another_thread_ends_the_scope() {
    let runtime = runtime();
    let scope = CancelScope::new();
    let remote = scope.clone();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        remote.cancel();
    });
    let start = Instant::now();
    let result = runtime.block_on(scope.run(deli::sleep(LONG)));
    canceller.join().unwrap();
    assert_eq!(result, None);
    assert!(scope.cancelled_caught());
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_deadline_can_be_moved_while_the_scope_runs() {
    let runtime = runtime();
    // Pushed back: the work has time to finish.
    let scope = CancelScope::with_timeout(Duration::from_millis(20));
    let remote = scope.clone();
    let value = runtime.block_on(scope.run(async move {
        remote.set_deadline(Some(Instant::now() + LONG));
        deli::sleep(Duration::from_millis(60)).await;
        "finished"
    }));
    assert_eq!(value, Some("finished"));
    assert!(!scope.cancelled_caught());

    // Brought forward: the scope ends early.
    let scope = CancelScope::with_timeout(LONG);
    let remote = scope.clone();
    let start = Instant::now();
    let value = runtime.block_on(scope.run(async move {
        remote.set_deadline(Some(Instant::now() + Duration::from_millis(10)));
        deli::sleep(LONG).await;
    }));
    assert_eq!(value, None);
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn an_inner_cancel_never_leaks_out() {
    let runtime = runtime();
    let outer = CancelScope::new();
    let inner = CancelScope::new();
    let (i, after) = (inner.clone(), Arc::new(AtomicBool::new(false)));
    let a = after.clone();
    let value = runtime.block_on(outer.run(async move {
        let inner_result = i
            .run(async {
                deli::scope::CancelScope::new(); // unrelated scopes change nothing
                deli::sleep(Duration::from_millis(5)).await;
                i.cancel();
                deli::sleep(LONG).await;
            })
            .await;
        assert_eq!(inner_result, None);
        assert!(!is_cancelled(), "the outer scope is not cancelled");
        deli::sleep(Duration::from_millis(5)).await;
        a.store(true, Ordering::SeqCst);
        7
    }));
    assert_eq!(value, Some(7));
    assert!(inner.cancelled_caught());
    assert!(!outer.cancelled_caught());
    assert!(after.load(Ordering::SeqCst));
}

#[test]
fn an_outer_cancel_reaches_inner_work() {
    let runtime = runtime();
    let outer = CancelScope::with_timeout(Duration::from_millis(10));
    let inner = CancelScope::new();
    let i = inner.clone();
    let value = runtime.block_on(outer.run(async move { i.run(deli::sleep(LONG)).await }));
    assert_eq!(value, None);
    assert!(outer.cancelled_caught());
}

#[test]
fn a_shield_keeps_outer_cancellation_out_until_it_ends() {
    let runtime = runtime();
    let outer = CancelScope::with_timeout(Duration::from_millis(10));
    let shield_done = Arc::new(AtomicBool::new(false));
    let saw_cancel_inside = Arc::new(AtomicBool::new(true));
    let reached_after = Arc::new(AtomicBool::new(false));
    let (done, saw, after) = (
        shield_done.clone(),
        saw_cancel_inside.clone(),
        reached_after.clone(),
    );
    let value = runtime.block_on(outer.run(async move {
        let shield = CancelScope::new().shielded(true);
        let shielded = shield
            .run(async {
                deli::sleep(Duration::from_millis(50)).await;
                // Past the outer deadline, but shielded.
                saw.store(is_cancelled(), Ordering::SeqCst);
                deli::sleep(Duration::from_millis(5)).await;
                "shielded work done"
            })
            .await;
        done.store(shielded == Some("shielded work done"), Ordering::SeqCst);
        // Level-triggered: the outer cancel is still there at this await.
        deli::sleep(LONG).await;
        after.store(true, Ordering::SeqCst);
    }));
    assert_eq!(value, None);
    assert!(
        shield_done.load(Ordering::SeqCst),
        "the shielded scope ran to its end"
    );
    assert!(
        !saw_cancel_inside.load(Ordering::SeqCst),
        "no cancel is visible inside a shield"
    );
    assert!(!reached_after.load(Ordering::SeqCst));
}

#[test]
fn a_shield_has_its_own_deadline() {
    let runtime = runtime();
    let shield = CancelScope::with_timeout(Duration::from_millis(10)).shielded(true);
    let start = Instant::now();
    assert_eq!(runtime.block_on(shield.run(deli::sleep(LONG))), None);
    assert!(shield.cancelled_caught());
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn cancellation_is_level_triggered() {
    let runtime = runtime();
    let scope = CancelScope::new();
    scope.cancel();
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    // Cancelled before it starts: the future is never polled.
    let value = runtime.block_on(scope.run(async move {
        p.fetch_add(1, Ordering::SeqCst);
    }));
    assert_eq!(value, None);
    assert_eq!(polled.load(Ordering::SeqCst), 0);
    // And it stays cancelled for whatever runs in it next.
    assert_eq!(runtime.block_on(scope.run(async { 1 })), None);
}

#[test]
fn work_that_finishes_without_waiting_keeps_its_value() {
    let runtime = runtime();
    let scope = CancelScope::new();
    let handle = scope.clone();
    let value = runtime.block_on(scope.run(async move {
        handle.cancel();
        assert!(is_cancelled());
        42
    }));
    assert_eq!(value, Some(42));
    assert!(!scope.cancelled_caught());
}

#[test]
fn move_on_and_fail_forms() {
    let runtime = runtime();
    runtime.block_on(async {
        assert_eq!(
            deli::move_on_after(Duration::from_millis(5), deli::sleep(LONG)).await,
            None
        );
        assert_eq!(deli::move_on_after(LONG, async { 3 }).await, Some(3));
        let at = Instant::now() + Duration::from_millis(5);
        assert_eq!(deli::move_on_at(at, deli::sleep(LONG)).await, None);
        assert!(
            deli::fail_after(Duration::from_millis(5), deli::sleep(LONG))
                .await
                .is_err()
        );
        assert_eq!(deli::fail_after(LONG, async { 4 }).await, Ok(4));
        let at = Instant::now() + Duration::from_millis(5);
        assert!(deli::fail_at(at, deli::sleep(LONG)).await.is_err());
        // A deadline in the past: nothing runs.
        assert!(
            deli::fail_at(Instant::now() - Duration::from_millis(1), async {})
                .await
                .is_err()
        );
    });
}

#[test]
fn nested_deadlines_the_nearest_wins() {
    let runtime = runtime();
    let outer = CancelScope::with_timeout(LONG);
    let inner = CancelScope::with_timeout(Duration::from_millis(10));
    let i = inner.clone();
    let value = runtime.block_on(outer.run(async move {
        let first = i.run(deli::sleep(LONG)).await;
        (first, "outer goes on")
    }));
    assert_eq!(value, Some((None, "outer goes on")));
    assert!(inner.cancelled_caught());
    assert!(!outer.cancelled_caught());
}

#[test]
fn cancel_scopes_work_on_the_current_thread_runtime_too() {
    let runtime = Runtime::builder()
        .flavor(deli::Flavor::CurrentThread)
        .build()
        .unwrap();
    let value = runtime.block_on(deli::move_on_after(
        Duration::from_millis(5),
        deli::sleep(LONG),
    ));
    assert_eq!(value, None);
}
