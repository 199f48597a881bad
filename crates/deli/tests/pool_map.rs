//! `ThreadPool::map`: input order, errors in place, bounded memory; and
//! `Map::into_vec`: every value or the first error, nothing leaked.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;

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

/// A value that counts how many of its kind are alive, to catch values
/// leaked or dropped twice.
#[derive(Debug)]
struct Tracked {
    n: u64,
    alive: Arc<AtomicIsize>,
}

impl Tracked {
    fn new(n: u64, alive: &Arc<AtomicIsize>) -> Tracked {
        alive.fetch_add(1, Ordering::Relaxed);
        Tracked {
            n,
            alive: alive.clone(),
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Inputs whose size hint claims `claimed` items, whatever they hold.
struct Claims {
    inner: std::ops::Range<u64>,
    claimed: usize,
}

impl Iterator for Claims {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let next = self.inner.next()?;
        self.claimed = self.claimed.saturating_sub(1);
        Some(next)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.claimed, Some(self.claimed))
    }
}

#[test]
fn into_vec_returns_every_value_in_order() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let expected: Vec<u64> = (0..200_000).map(|n| n * 3).collect();
        assert_eq!(pool.map(0..200_000u64, |n| n * 3).into_vec(), Ok(expected));
        // Unknown length: each chunk's values are moved in as they come.
        let kept = (0..200_000u64).filter(|n| n % 3 != 1);
        let expected: Vec<u64> = kept.clone().map(|n| n + 1).collect();
        assert_eq!(pool.map(kept, |n| n + 1).into_vec(), Ok(expected));
        // After results were taken through the iterator, the rest.
        let mut doubled = pool.map(0..1_000u64, |n| n * 2).chunk_size(7);
        assert_eq!(doubled.next(), Some(Ok(0)));
        assert_eq!(doubled.next(), Some(Ok(2)));
        let rest: Vec<u64> = (2..1_000).map(|n| n * 2).collect();
        assert_eq!(doubled.into_vec(), Ok(rest));
        assert_eq!(pool.map(Vec::<u64>::new(), |n| n).into_vec(), Ok(vec![]));
    });
}

#[test]
fn into_vec_survives_a_size_hint_that_lies() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let expected: Vec<u64> = (0..50_000).collect();
        for claimed in [0, 1, 20_000, 50_000, 80_000, usize::MAX] {
            let inputs = Claims {
                inner: 0..50_000,
                claimed,
            };
            assert_eq!(
                pool.map(inputs, |n| n).into_vec().as_deref(),
                Ok(&expected[..]),
                "claimed {claimed}"
            );
        }
    });
}

#[test]
fn into_vec_returns_the_first_error_and_drops_every_value_it_made() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let alive = Arc::new(AtomicIsize::new(0));
        let made = alive.clone();
        let result = pool
            .map(0..400_000u64, move |n| {
                if n == 150_000 || n == 300_000 {
                    panic!("item {n}");
                }
                Tracked::new(n, &made)
            })
            .into_vec();
        assert_eq!(
            result.map(|values| values.len()),
            Err(JobError::Panicked("item 150000".into()))
        );
        // Every value made was dropped once, the running chunks' included:
        // `into_vec` waits for them before it returns.
        assert_eq!(alive.load(Ordering::Relaxed), 0);

        let made = alive.clone();
        let values = pool
            .map(0..100_000u64, move |n| Tracked::new(n, &made))
            .into_vec()
            .unwrap();
        assert_eq!(alive.load(Ordering::Relaxed), 100_000);
        assert!(values.iter().enumerate().all(|(i, v)| v.n == i as u64));
        drop(values);
        assert_eq!(alive.load(Ordering::Relaxed), 0);
    });
}

#[test]
fn into_vec_unwinds_from_a_panicking_input_without_losing_a_value() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let alive = Arc::new(AtomicIsize::new(0));
        let made = alive.clone();
        let inputs = (0..400_000u64).inspect(|&n| assert!(n != 250_000, "input {n}"));
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.map(inputs, move |n| Tracked::new(n, &made)).into_vec()
        }));
        let payload = unwound.expect_err("the input's panic reaches the caller");
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "input 250000");
        assert_eq!(alive.load(Ordering::Relaxed), 0);
        assert_eq!(pool.submit(|| 1).wait_blocking(), Ok(1));
    });
}

#[test]
fn into_vec_after_shutdown_is_a_shutdown_error() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        pool.shutdown(true, false);
        assert_eq!(pool.map(0..10, |n| n).into_vec(), Err(JobError::Shutdown));
    });
}
