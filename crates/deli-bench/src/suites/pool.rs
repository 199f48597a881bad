//! The `pool` suite: deli's thread pool against rayon and against one
//! `std::thread` per job, both sides on 2 threads.
//!
//! Cases: `map_1m` (a million cheap items — a small integer hash of about
//! 25 ns — through `ThreadPool::map(..).into_vec()` vs rayon's
//! `par_iter().map().collect()`), `map_1m_iter` (the same through the
//! lazy ordered iterator, `collect::<Result<Vec<_>, _>>()`: the caller
//! takes each result in turn), `jobs_1ms` (1,000 jobs of about 1 ms of
//! CPU each: `submit` + `wait` vs rayon `scope` + `spawn`, and vs a thread
//! per job), `fib32` (recursive fib(32) with `join` below a cutoff vs
//! `rayon::join`). Prints
//! `BENCH pool/<case> deli=<ns> <peer>=<ns> ratio=<deli/peer>`.
//! Calls the harness (interleaved rounds, medians) and the public APIs of
//! deli and rayon only.

use std::hint::black_box;
use std::io;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::harness::Harness;

/// Threads on each side.
pub const THREADS: usize = 2;
const MAP_ITEMS: u64 = 1_000_000;
const JOBS: usize = 1_000;
const FIB_N: u32 = 32;
/// Below this, fib recurses sequentially on one thread.
const FIB_CUTOFF: u32 = 16;

/// Runs every case of the suite.
pub fn run(harness: &Harness) -> io::Result<()> {
    let deli = deli::ThreadPool::builder().threads(THREADS).build()?;
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .map_err(io::Error::other)?;
    let spin = calibrate_one_millisecond();

    let rayon_map = || {
        let start = Instant::now();
        let out: Vec<_> =
            rayon.install(|| (0..MAP_ITEMS).into_par_iter().map(cheap_hash).collect());
        let elapsed = start.elapsed();
        assert_eq!(out.len() as u64, MAP_ITEMS);
        drop(black_box::<Vec<u64>>(out));
        elapsed
    };
    let check = |out: Result<Vec<u64>, deli::JobError>| {
        assert!(matches!(&out, Ok(values) if values.len() as u64 == MAP_ITEMS));
        drop(black_box(out));
    };
    harness.bench(
        "pool/map_1m",
        "rayon",
        || {
            let start = Instant::now();
            let out = deli.map(0..MAP_ITEMS, cheap_hash).into_vec();
            let elapsed = start.elapsed();
            check(out);
            elapsed
        },
        rayon_map,
    );
    harness.bench(
        "pool/map_1m_iter",
        "rayon",
        || {
            let start = Instant::now();
            let out: Result<Vec<u64>, _> = deli.map(0..MAP_ITEMS, cheap_hash).collect();
            let elapsed = start.elapsed();
            check(out);
            elapsed
        },
        rayon_map,
    );

    let deli_jobs = || {
        let start = Instant::now();
        let tickets: Vec<_> = (0..JOBS).map(|_| deli.submit(move || burn(spin))).collect();
        for ticket in tickets {
            black_box(ticket.wait_blocking().ok());
        }
        start.elapsed()
    };
    harness.bench("pool/jobs_1ms", "rayon", deli_jobs, || {
        let start = Instant::now();
        rayon.scope(|scope| {
            for _ in 0..JOBS {
                scope.spawn(move |_| {
                    black_box(burn(spin));
                });
            }
        });
        start.elapsed()
    });
    harness.bench("pool/jobs_1ms_threads", "std_thread", deli_jobs, || {
        let start = Instant::now();
        let threads: Vec<_> = (0..JOBS)
            .map(|_| std::thread::spawn(move || burn(spin)))
            .collect();
        for thread in threads {
            black_box(thread.join().ok());
        }
        start.elapsed()
    });

    harness.bench(
        "pool/fib32",
        "rayon",
        || {
            let start = Instant::now();
            let value = deli.join(|| deli_fib(&deli, FIB_N - 1), || deli_fib(&deli, FIB_N - 2));
            let elapsed = start.elapsed();
            assert_eq!(value.0 + value.1, 2_178_309);
            elapsed
        },
        || {
            let start = Instant::now();
            let value = rayon.install(|| rayon_fib(FIB_N));
            let elapsed = start.elapsed();
            assert_eq!(value, 2_178_309);
            elapsed
        },
    );
    Ok(())
}

/// The cheap item: a few rounds of an integer mix (about 25 ns on the 2-core development VM).
fn cheap_hash(n: u64) -> u64 {
    let mut x = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    for _ in 0..24 {
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
    }
    x
}

/// Spins `rounds` rounds of `cheap_hash`; returns something to keep.
fn burn(rounds: u64) -> u64 {
    (0..rounds).fold(0, |acc, n| acc ^ cheap_hash(black_box(n)))
}

/// How many `burn` rounds take about 1 ms on this machine.
fn calibrate_one_millisecond() -> u64 {
    let mut rounds = 1_000;
    loop {
        let start = Instant::now();
        black_box(burn(rounds));
        let elapsed = start.elapsed();
        if elapsed >= Duration::from_millis(20) {
            let per_ms = rounds as f64 / (elapsed.as_secs_f64() * 1_000.0);
            return per_ms.max(1.0) as u64;
        }
        rounds *= 2;
    }
}

fn fib_sequential(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    fib_sequential(n - 1) + fib_sequential(n - 2)
}

fn deli_fib(pool: &deli::ThreadPool, n: u32) -> u64 {
    if n < FIB_CUTOFF {
        return fib_sequential(n);
    }
    let (a, b) = pool.join(|| deli_fib(pool, n - 1), || deli_fib(pool, n - 2));
    a + b
}

fn rayon_fib(n: u32) -> u64 {
    if n < FIB_CUTOFF {
        return fib_sequential(n);
    }
    let (a, b) = rayon::join(|| rayon_fib(n - 1), || rayon_fib(n - 2));
    a + b
}
