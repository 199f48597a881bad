//! `ThreadPool::map`: input order, errors in place, bounded memory.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::{within, BOUND};
use deli::{JobError, ThreadPool};

#[test]
fn map_keeps_input_order_with_panics_in_some_items() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let results: Vec<_> = pool
            .map(0..5_000u64, |n| {
                if n % 499 == 7 {
                    panic!("item {n}");
                }
                n * 3
            })
            .collect();
        assert_eq!(results.len(), 5_000);
        for (n, result) in results.into_iter().enumerate() {
            let n = n as u64;
            if n % 499 == 7 {
                assert_eq!(result, Err(JobError::Panicked(format!("item {n}").into())));
            } else {
                assert_eq!(result, Ok(n * 3));
            }
        }
    });
}

#[test]
fn map_over_a_million_items_holds_a_bounded_number_in_flight() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let pulled = Rc::new(Cell::new(0u64));
        let inputs = {
            let pulled = pulled.clone();
            (0..1_000_000u64).inspect(move |_| pulled.set(pulled.get() + 1))
        };
        let mut yielded = 0u64;
        let mut most_in_flight = 0;
        let mut sum = 0u64;
        for result in pool.map(inputs, |n| n ^ 0x5555) {
            sum = sum.wrapping_add(result.unwrap());
            yielded += 1;
            most_in_flight = most_in_flight.max(pulled.get() - yielded);
        }
        assert_eq!(yielded, 1_000_000);
        let expected = (0..1_000_000u64).fold(0u64, |sum, n| sum.wrapping_add(n ^ 0x5555));
        assert_eq!(sum, expected);
        // At most (2 × threads + 2) chunks in flight plus the one being
        // handed out, of at most 16,384 items each: far from the million.
        assert!(
            most_in_flight <= 7 * 16_384,
            "{most_in_flight} inputs were in flight at once"
        );
    });
}

#[test]
fn map_is_lazy_and_dropping_it_stops_the_work() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let pulled = Rc::new(Cell::new(0u64));
        let inputs = {
            let pulled = pulled.clone();
            (0..u64::MAX).inspect(move |_| pulled.set(pulled.get() + 1))
        };
        let mut squares = pool.map(inputs, |n| n * n);
        assert_eq!(pulled.get(), 0, "nothing is taken before the first next()");
        let first: Vec<_> = squares.by_ref().take(3).collect();
        assert_eq!(first, [Ok(0), Ok(1), Ok(4)]);
        drop(squares);
        assert!(pulled.get() < 1_000_000);
        assert_eq!(pool.submit(|| 1).wait_blocking(), Ok(1));
    });
}

#[test]
fn map_after_shutdown_reports_shutdown_for_each_item() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        pool.shutdown(true, false);
        let results: Vec<_> = pool.map(0..10, |n| n).collect();
        assert_eq!(results, vec![Err(JobError::Shutdown); 10]);
    });
}
