//! The thread pool's edge cases: panics that must not escape, budgets that
//! must not spin, inputs that must be refused rather than panic, and
//! concurrent shutdowns.

mod common;

use std::time::Duration;

use common::{within, BOUND};
use deli::{JobError, ThreadPool};

/// A panic payload whose own destructor panics.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb payload dropped");
    }
}

#[test]
fn a_payload_that_panics_when_dropped_neither_kills_a_thread_nor_escapes() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        let bomb = pool.submit(|| -> u32 { std::panic::panic_any(Bomb) });
        assert!(matches!(bomb.wait_blocking(), Err(JobError::Panicked(_))));
        // The only thread is still there.
        assert_eq!(
            pool.submit(|| 2)
                .wait_blocking_timeout(Duration::from_secs(30)),
            Ok(2)
        );
        // And inside a join, the half that panics this way is caught too.
        let (a, b) = pool.join(|| 1, || 2);
        assert_eq!((a, b), (1, 2));
        let runtime = deli::Runtime::builder().workers(1).build().unwrap();
        let task = runtime.spawn(async { std::panic::panic_any(Bomb) });
        assert!(matches!(task.wait_blocking(), Err(JobError::Panicked(_))));
        assert_eq!(runtime.spawn(async { 3 }).wait_blocking(), Ok(3));
    });
}

#[test]
fn a_job_may_wait_on_more_tickets_than_one_budget() {
    within(BOUND, || {
        let outer = ThreadPool::new(1).unwrap();
        let inner = std::sync::Arc::new(ThreadPool::new(2).unwrap());
        let job_inner = inner.clone();
        let total = outer.submit(move || {
            (0..300u64)
                .map(|n| job_inner.submit(move || n).wait_blocking().unwrap())
                .sum::<u64>()
        });
        assert_eq!(total.wait_blocking(), Ok((0..300).sum()));

        // The same from inside an async task, blocking on tickets.
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let sum = runtime.spawn(async {
            (0..300u64)
                .map(|n| deli::spawn_blocking(move || n).wait_blocking().unwrap())
                .sum::<u64>()
        });
        assert_eq!(sum.wait_blocking(), Ok((0..300).sum()));
    });
}

#[test]
fn as_completed_as_a_stream_over_many_finished_tickets_ends() {
    use std::future::poll_fn;
    use std::pin::Pin;

    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let count = runtime.block_on(async {
            let tickets: Vec<_> = (0..300).map(|n| deli::spawn(async move { n })).collect();
            deli::sleep(Duration::from_millis(20)).await;
            deli::spawn(async move {
                let mut stream = deli::as_completed(tickets);
                let mut count = 0;
                while let Some(_result) =
                    poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut stream), cx)).await
                {
                    count += 1;
                }
                count
            })
            .await
        });
        assert_eq!(count, Ok(300));
    });
}

#[test]
fn builders_refuse_what_the_os_cannot_do() {
    let huge = ThreadPool::builder().threads(usize::MAX / 2).build();
    assert!(matches!(huge, Err(deli::pool::ThreadPoolError::Invalid(_))));
    let nul = ThreadPool::builder().thread_name("a\0b").build();
    assert!(matches!(nul, Err(deli::pool::ThreadPoolError::Invalid(_))));
    let runtime = deli::Runtime::builder().thread_name("a\0b").build();
    assert_eq!(
        runtime.unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
}

#[test]
fn a_second_concurrent_shutdown_waits_for_the_threads_too() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    let pool = Arc::new(deli::ThreadPool::new(1).unwrap());
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let _running = pool.submit(move || {
        std::thread::sleep(Duration::from_millis(200));
        flag.store(true, Ordering::SeqCst);
    });
    // Both callers ask to wait; whichever returns second or first, neither
    // may return before the running job (and so its thread) is done.
    let first = {
        let (pool, finished) = (pool.clone(), finished.clone());
        std::thread::spawn(move || {
            pool.shutdown(true, false);
            finished.load(Ordering::SeqCst)
        })
    };
    let second = {
        let (pool, finished) = (pool.clone(), finished.clone());
        std::thread::spawn(move || {
            pool.shutdown(true, false);
            finished.load(Ordering::SeqCst)
        })
    };
    assert!(
        first.join().unwrap(),
        "the first shutdown returned before the job ended"
    );
    assert!(
        second.join().unwrap(),
        "the second shutdown returned before the job ended"
    );
}
