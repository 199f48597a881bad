//! `task_local!`: values kept across awaits, visible only inside the
//! future that `scope` wraps (not to other tasks on the same worker, not to
//! spawned children), on both runtime flavours and across a move between
//! workers; `sync_scope`, `with`, `try_with`, `get`.

use std::time::Duration;

use deli::task_local::AccessError;

deli::task_local! {
    static REQUEST: u32;
    pub(crate) static NAME: String;
}

fn current_thread() -> deli::Runtime {
    deli::Runtime::builder().current_thread().build().unwrap()
}

fn multi_thread() -> deli::Runtime {
    deli::Runtime::builder().workers(2).build().unwrap()
}

async fn kept_across_awaits_and_private_to_the_scope() {
    let neighbour = deli::spawn(async {
        let mut seen = Vec::new();
        for _ in 0..20 {
            seen.push(REQUEST.try_get());
            deli::yield_now().await;
        }
        seen
    });
    let inside = REQUEST
        .scope(7, async {
            let mut values = Vec::new();
            for _ in 0..20 {
                values.push(REQUEST.get());
                deli::yield_now().await;
                deli::sleep(Duration::from_millis(1)).await;
            }
            // A child does not inherit the value...
            let child = deli::spawn(async { REQUEST.try_get() }).await.unwrap();
            // ...unless it is handed on explicitly.
            let value = REQUEST.get();
            let passed = deli::spawn(REQUEST.scope(value, async { REQUEST.get() }))
                .await
                .unwrap();
            (values, child, passed)
        })
        .await;
    let (values, child, passed) = inside;
    assert!(values.iter().all(|v| *v == 7), "{values:?}");
    assert!(matches!(child, Err(AccessError { .. })));
    assert_eq!(passed, 7);
    let seen = neighbour.await.unwrap();
    assert!(
        seen.iter().all(Result::is_err),
        "another task never sees it"
    );
    assert!(REQUEST.try_get().is_err(), "gone after the scope");
}

#[test]
fn on_a_current_thread_runtime() {
    current_thread().block_on(kept_across_awaits_and_private_to_the_scope());
}

#[test]
fn on_a_multi_thread_runtime() {
    multi_thread().block_on(async {
        deli::spawn(kept_across_awaits_and_private_to_the_scope())
            .await
            .unwrap();
    });
}

#[test]
fn follows_a_task_that_moves_between_workers() {
    let runtime = multi_thread();
    let moved = runtime.block_on(async {
        let mut moved = false;
        for attempt in 0..20u32 {
            let ticket = deli::spawn(NAME.scope(format!("task {attempt}"), async move {
                let first = std::thread::current().id();
                // Block this worker from a task queued behind us, so that
                // the other worker (or the monitor's spare) takes us over.
                deli::spawn(async { std::thread::sleep(Duration::from_millis(60)) });
                let mut threads = vec![first];
                for _ in 0..10 {
                    deli::yield_now().await;
                    assert_eq!(NAME.get(), format!("task {attempt}"));
                    threads.push(std::thread::current().id());
                }
                threads.iter().any(|thread| *thread != first)
            }));
            if ticket.await.unwrap() {
                moved = true;
                break;
            }
        }
        moved
    });
    assert!(moved, "in 20 attempts the task never changed worker");
}

#[test]
fn nested_scopes_sync_scope_and_errors() {
    assert!(REQUEST.try_with(|v| *v).is_err());
    assert_eq!(
        REQUEST.sync_scope(1, || {
            let inner = REQUEST.sync_scope(2, || REQUEST.get());
            (inner, REQUEST.get())
        }),
        (2, 1)
    );
    current_thread().block_on(NAME.scope("outer".to_owned(), async {
        NAME.scope("inner".to_owned(), async {
            NAME.with(|name| assert_eq!(name, "inner"));
        })
        .await;
        assert_eq!(NAME.get(), "outer");
    }));
    let outside = std::panic::catch_unwind(|| REQUEST.get());
    assert!(
        outside.is_err(),
        "`get` outside a scope panics as documented"
    );
}

#[test]
fn the_value_is_set_while_the_future_is_dropped() {
    struct ReadsOnDrop;
    impl Drop for ReadsOnDrop {
        fn drop(&mut self) {
            assert_eq!(REQUEST.try_get(), Ok(5));
        }
    }
    current_thread().block_on(async {
        let finished = REQUEST.scope(5, async {
            let _guard = ReadsOnDrop;
            deli::yield_now().await;
        });
        finished.await;
        let cancelled = REQUEST.scope(5, async {
            let _guard = ReadsOnDrop;
            std::future::pending::<()>().await;
        });
        let _ = deli::timeout(Duration::from_millis(2), cancelled).await;
    });
}
