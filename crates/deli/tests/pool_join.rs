//! `ThreadPool::join`: nested divide and conquer, borrowing, panics.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use common::{within, BOUND};
use deli::ThreadPool;

fn fib_sequential(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_sequential(n - 1) + fib_sequential(n - 2)
    }
}

fn fib(pool: &ThreadPool, n: u64, cutoff: u64) -> u64 {
    if n < cutoff {
        return fib_sequential(n);
    }
    let (a, b) = pool.join(|| fib(pool, n - 1, cutoff), || fib(pool, n - 2, cutoff));
    a + b
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn nested_join_fib_with_a_cutoff_gives_the_right_answer() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        // From outside the pool, and from a job on it.
        assert_eq!(fib(&pool, 27, 8), 196_418);
        let pool = std::sync::Arc::new(pool);
        let inner = pool.clone();
        assert_eq!(
            pool.submit(move || fib(&inner, 25, 2)).wait_blocking(),
            Ok(75_025)
        );
    });
}

#[test]
fn join_nests_deeply_without_deadlock() {
    fn chain(pool: &ThreadPool, depth: u32) -> u32 {
        if depth == 0 {
            return 0;
        }
        let (below, one) = pool.join(|| chain(pool, depth - 1), || 1);
        below + one
    }
    within(BOUND, || {
        let pool = ThreadPool::builder()
            .threads(2)
            .stack_size(32 << 20)
            .build()
            .unwrap();
        assert_eq!(chain(&pool, 2_000), 2_000);
    });
}

#[test]
fn join_borrows_from_the_callers_stack() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let mut data: Vec<u64> = (0..10_000).collect();
        let (left, right) = data.split_at_mut(5_000);
        pool.join(
            || left.iter_mut().for_each(|x| *x *= 2),
            || right.iter_mut().for_each(|x| *x += 1),
        );
        assert_eq!(data[4_999], 9_998);
        assert_eq!(data[5_000], 5_001);
    });
}

#[test]
fn a_panic_in_either_half_reaches_the_caller_after_both_finished() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let other_ran = AtomicBool::new(false);
        let left = catch_unwind(AssertUnwindSafe(|| {
            pool.join(
                || -> u32 { panic!("left half") },
                || other_ran.store(true, Ordering::SeqCst),
            )
        }));
        assert_eq!(panic_message(left.unwrap_err()), "left half");
        assert!(
            other_ran.swap(false, Ordering::SeqCst),
            "the right half still ran"
        );

        let right = catch_unwind(AssertUnwindSafe(|| {
            pool.join(
                || other_ran.store(true, Ordering::SeqCst),
                || -> u32 { panic!("right half") },
            )
        }));
        assert_eq!(panic_message(right.unwrap_err()), "right half");
        assert!(other_ran.load(Ordering::SeqCst));

        // Deep inside a recursion on the pool, from a job: the job's ticket
        // reports the panic, and the pool keeps working.
        let pool = std::sync::Arc::new(pool);
        let inner = pool.clone();
        let ticket = pool.submit(move || {
            fn boom(pool: &ThreadPool, n: u32) -> u32 {
                if n == 0 {
                    panic!("deep");
                }
                let (a, b) = pool.join(|| boom(pool, n - 1), || n);
                a + b
            }
            boom(&inner, 20)
        });
        assert_eq!(
            ticket.wait_blocking(),
            Err(deli::JobError::Panicked("deep".into()))
        );
        assert_eq!(fib(&pool, 20, 5), 6_765);
    });
}

#[test]
fn join_after_shutdown_runs_on_the_caller() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        pool.shutdown(true, false);
        let here = std::thread::current().id();
        let (a, b) = pool.join(|| std::thread::current().id(), || 2);
        assert_eq!((a, b), (here, 2));
    });
}
