//! `spawn_blocking`: off the workers, bounded, elastic, retiring.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{eventually, within, BOUND};
use deli::JobError;

fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[test]
fn blocking_calls_run_off_the_workers() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder()
            .workers(1)
            .thread_name("bo")
            .build()
            .unwrap();
        let name = runtime.block_on(async {
            deli::spawn_blocking(|| std::thread::current().name().unwrap_or("").to_owned())
                .await
                .unwrap()
        });
        assert!(name.starts_with("bo-blocking"), "ran on {name}");
    });
}

#[test]
fn the_pool_is_bounded_and_queues_the_rest() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder()
            .max_blocking_threads(2)
            .build()
            .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tickets: Vec<_> = (0..8)
            .map(|n| {
                let (running, peak) = (running.clone(), peak.clone());
                runtime.spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                    n
                })
            })
            .collect();
        let results: Vec<_> = tickets
            .into_iter()
            .map(|t| t.wait_blocking().unwrap())
            .collect();
        assert_eq!(results, (0..8).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 2);
    });
}

#[test]
fn idle_threads_retire_after_the_keep_alive() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder()
            .thread_name("ka")
            .blocking_keep_alive(Duration::from_millis(50))
            .build()
            .unwrap();
        let tickets: Vec<_> = (0..4)
            .map(|_| runtime.spawn_blocking(|| std::thread::sleep(Duration::from_millis(20))))
            .collect();
        for ticket in tickets {
            ticket.wait_blocking().unwrap();
        }
        assert!(threads_named("ka-blocking") >= 1);
        eventually(BOUND, "idle blocking threads retire", || {
            threads_named("ka-blocking") == 0
        });
        // And the pool grows again on demand.
        assert_eq!(runtime.spawn_blocking(|| 1).wait_blocking(), Ok(1));
    });
}

#[test]
fn a_panicking_call_is_an_error_and_the_pool_goes_on() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let failed = runtime.spawn_blocking(|| -> u32 { panic!("disk on fire") });
        assert_eq!(
            failed.wait_blocking(),
            Err(JobError::Panicked("disk on fire".into()))
        );
        assert_eq!(runtime.spawn_blocking(|| 2).wait_blocking(), Ok(2));
    });
}

#[test]
fn cancel_before_start_never_runs_and_outside_a_runtime_works() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let busy = runtime.spawn_blocking(move || release_rx.lock().unwrap().recv().is_ok());
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = ran.clone();
        let queued = runtime.spawn_blocking(move || counter.fetch_add(1, Ordering::SeqCst));
        queued.cancel();
        release_tx.send(()).unwrap();
        assert_eq!(busy.wait_blocking(), Ok(true));
        assert_eq!(queued.wait_blocking(), Err(JobError::Cancelled));
        assert_eq!(ran.load(Ordering::SeqCst), 0);

        // No runtime on this thread: the process-wide pool runs it.
        assert_eq!(
            deli::spawn_blocking(|| "global").wait_blocking(),
            Ok("global")
        );
    });
}

#[test]
fn cancelling_a_queued_call_resolves_at_once_while_the_pool_is_full() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let busy = runtime.spawn_blocking(move || release_rx.lock().unwrap().recv().is_ok());
        let mut queued = runtime.spawn_blocking(|| 1);
        queued.cancel();
        // The pool is still full: the ticket resolves without a thread.
        assert_eq!(
            queued.wait_blocking_timeout(Duration::from_secs(30)),
            Err(JobError::Cancelled)
        );
        release_tx.send(()).unwrap();
        assert_eq!(busy.wait_blocking(), Ok(true));
    });
}
