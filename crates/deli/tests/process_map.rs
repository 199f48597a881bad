//! Issue 19, point 2: `ProcessPool::map` is lazy and bounded, sizes its
//! chunks from measurements or takes a `chunksize`, and has an unordered
//! form; every item's error lands at its own position and a dead child
//! fails only the items it held (with automatic sizes, only its own).
//!
//! Its own main (harness = false): a worker child re-executes this binary
//! and must reach `deli::process::init()` before any test runs.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use deli::process::ProcessPool;
use deli::JobError;

#[deli::job]
fn triple(n: u64) -> u64 {
    n * 3
}

#[deli::job]
fn picky(n: u64) -> Result<u64, String> {
    match n % 10 {
        3 => panic!("item {n} panicked"),
        6 => Err(format!("item {n} refused")),
        _ => Ok(n),
    }
}

#[deli::job]
fn dies_on(n: u64, fatal: u64) -> u64 {
    if n == fatal {
        std::process::abort();
    }
    n
}

#[deli::job]
fn naps(millis: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(millis));
    millis
}

fn pool(workers: usize) -> ProcessPool {
    ProcessPool::new(workers).expect("a process pool")
}

fn results_are_in_order_with_errors_at_their_positions() {
    let pool = pool(2);
    for chunksize in [1, 4, 100] {
        let results: Vec<_> = pool.map(picky, 0..40).chunksize(chunksize).collect();
        assert_eq!(results.len(), 40);
        for (n, result) in results.iter().enumerate() {
            match n % 10 {
                3 => assert!(
                    matches!(result, Err(JobError::Panicked(m)) if m.message().contains(&format!("item {n} panicked"))),
                    "chunksize {chunksize}, item {n}: {result:?}"
                ),
                6 => assert_eq!(
                    result,
                    &Err(JobError::Remote(format!("item {n} refused"))),
                    "chunksize {chunksize}"
                ),
                _ => assert_eq!(result, &Ok(n as u64), "chunksize {chunksize}"),
            }
        }
    }
    let tripled: Vec<_> = pool.map(triple, 0..1_000).chunksize(64).collect();
    assert!(tripled
        .iter()
        .enumerate()
        .all(|(n, r)| r == &Ok(n as u64 * 3)));
}

fn a_dead_child_fails_only_the_items_it_held() {
    let pool = pool(2);
    // One item per request, and automatic sizes (a batch whose child dies
    // is sent again item by item): only the fatal one fails.
    for chunksize in [Some(1), None] {
        let map = pool.map(dies_on, (0..3_000).map(|n| (n, 2_007)));
        let results: Vec<_> = match chunksize {
            Some(items) => map.chunksize(items).collect(),
            None => map.collect(),
        };
        assert_eq!(results.len(), 3_000);
        for (n, result) in results.iter().enumerate() {
            if n == 2_007 {
                assert!(matches!(result, Err(JobError::WorkerDied(_))), "{result:?}");
            } else {
                assert_eq!(result, &Ok(n as u64), "{chunksize:?}");
            }
        }
    }
    // Five per request: the chunk 5..10 held by the dying child fails,
    // nothing else does, and the pool goes on with new children.
    let results: Vec<_> = pool
        .map(dies_on, (0..30).map(|n| (n, 7)))
        .chunksize(5)
        .collect();
    for (n, result) in results.iter().enumerate() {
        if (5..10).contains(&n) {
            assert!(
                matches!(result, Err(JobError::WorkerDied(_))),
                "{n}: {result:?}"
            );
        } else {
            assert_eq!(result, &Ok(n as u64), "{n}");
        }
    }
    // Unordered too.
    let mut results: Vec<_> = pool
        .map_unordered(dies_on, (0..30).map(|n| (n, 12)))
        .chunksize(3)
        .collect();
    results.sort_by_key(|(index, _)| *index);
    assert_eq!(results.len(), 30);
    for (n, result) in results {
        if (12..15).contains(&n) {
            assert!(
                matches!(result, Err(JobError::WorkerDied(_))),
                "{n}: {result:?}"
            );
        } else {
            assert_eq!(result, Ok(n as u64), "{n}");
        }
    }
}

fn map_takes_inputs_lazily_within_its_window() {
    let pool = pool(2);
    let taken = Rc::new(Cell::new(0u64));
    let counter = taken.clone();
    let endless = (0..).inspect(move |_| counter.set(counter.get() + 1));
    let mut results = pool.map(triple, endless).chunksize(3).max_in_flight(2);
    let first: Vec<_> = results.by_ref().take(5).collect();
    assert_eq!(first, [Ok(0), Ok(3), Ok(6), Ok(9), Ok(12)]);
    // What was handed out, plus the chunk being handed out and two chunks
    // of three in flight at most.
    assert!(taken.get() <= 5 + 3 * 3, "took {} inputs", taken.get());
    drop(results);

    let taken = Rc::new(Cell::new(0u64));
    let counter = taken.clone();
    let endless = (0..).inspect(move |_| counter.set(counter.get() + 1));
    let mut unordered = pool
        .map_unordered(triple, endless)
        .chunksize(1)
        .max_in_flight(4);
    assert_eq!(unordered.by_ref().take(10).count(), 10);
    assert!(taken.get() <= 10 + 1 + 4, "took {} inputs", taken.get());
    drop(unordered);

    // Automatic sizes on an endless input: still a window of chunks, each
    // of at most 4,096 items.
    let taken = Rc::new(Cell::new(0u64));
    let counter = taken.clone();
    let endless = (0..).inspect(move |_| counter.set(counter.get() + 1));
    let mut automatic = pool.map(triple, endless).max_in_flight(4);
    assert_eq!(automatic.by_ref().take(20_000).count(), 20_000);
    assert!(
        taken.get() <= 20_000 + 5 * 4_096,
        "took {} inputs",
        taken.get()
    );
}

/// The size of the last chunk a map sent, from its `Debug`.
fn last_chunk(map: &impl std::fmt::Debug) -> usize {
    let debug = format!("{map:?}");
    let (_, rest) = debug.split_once("last_chunk: ").expect(&debug);
    rest.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn automatic_chunks_grow_for_cheap_items_and_stay_single_for_slow_ones() {
    let pool = pool(2);
    // Endless, so that no chunk is cut short near the end of the input.
    let mut cheap = pool.map(triple, 0u64..);
    assert!(cheap.by_ref().take(20_000).all(|r| r.is_ok()));
    assert!(last_chunk(&cheap) > 16, "{cheap:?}");
    drop(cheap);

    let mut slow = pool.map_unordered(naps, [40; 8]);
    assert!(slow.by_ref().take(4).all(|(_, r)| r == Ok(40)));
    assert_eq!(last_chunk(&slow), 1, "{slow:?}");
    assert_eq!(slow.count(), 4);
}

fn unordered_results_come_as_they_finish() {
    let pool = pool(2);
    let order: Vec<_> = pool
        .map_unordered(naps, [800, 1, 1, 1, 1])
        .map(|(index, result)| {
            assert!(result.is_ok());
            index
        })
        .collect();
    assert_eq!(order.len(), 5);
    assert_eq!(
        order.last(),
        Some(&0),
        "the long nap should come last: {order:?}"
    );
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1, 2, 3, 4]);
}

fn dropping_a_map_cancels_what_it_has_in_flight() {
    let pool = pool(1);
    let mut results = pool.map(naps, std::iter::repeat(200)).max_in_flight(3);
    let _ = results.next();
    let dropped = Instant::now();
    drop(results);
    // The queued naps were cancelled: a new job does not wait behind them
    // all (at most the one running).
    assert_eq!(pool.submit(triple, 2).wait_blocking(), Ok(6));
    assert!(dropped.elapsed() < Duration::from_secs(5));
}

fn an_empty_input_gives_nothing() {
    let pool = pool(1);
    assert_eq!(pool.map(triple, Vec::new()).count(), 0);
    assert_eq!(
        pool.map_unordered(triple, Vec::new()).chunksize(8).count(),
        0
    );
}

const TESTS: &[(&str, fn())] = &[
    (
        "results_are_in_order_with_errors_at_their_positions",
        results_are_in_order_with_errors_at_their_positions,
    ),
    (
        "a_dead_child_fails_only_the_items_it_held",
        a_dead_child_fails_only_the_items_it_held,
    ),
    (
        "map_takes_inputs_lazily_within_its_window",
        map_takes_inputs_lazily_within_its_window,
    ),
    (
        "automatic_chunks_grow_for_cheap_items_and_stay_single_for_slow_ones",
        automatic_chunks_grow_for_cheap_items_and_stay_single_for_slow_ones,
    ),
    (
        "unordered_results_come_as_they_finish",
        unordered_results_come_as_they_finish,
    ),
    (
        "dropping_a_map_cancels_what_it_has_in_flight",
        dropping_a_map_cancels_what_it_has_in_flight,
    ),
    ("an_empty_input_gives_nothing", an_empty_input_gives_nothing),
];

fn main() {
    deli::process::init();
    let failed = common::run_tests(TESTS, |test| test());
    common::exit_if_failed(&failed);
}
