//! Thread pool jobs: many complete, panics and cancels are contained,
//! shutdown resolves every ticket.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::{within, BOUND};
use deli::{JobError, ThreadPool};

/// Parks a pool thread until the returned sender is dropped or sent to.
fn occupy(pool: &ThreadPool) -> (mpsc::Sender<()>, deli::Ticket<()>) {
    let (release, released) = mpsc::channel::<()>();
    let (started, is_started) = mpsc::channel();
    let ticket = pool.submit(move || {
        started.send(()).unwrap();
        let _ = released.recv_timeout(BOUND);
    });
    is_started.recv_timeout(BOUND).unwrap();
    (release, ticket)
}

#[test]
fn a_million_tiny_jobs_all_complete() {
    within(BOUND * 2, || {
        let pool = ThreadPool::new(2).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let mut sum = 0u64;
        // In batches, so the test holds a bounded number of tickets.
        for batch in 0..100u64 {
            let tickets: Vec<_> = (0..10_000u64)
                .map(|i| {
                    let ran = ran.clone();
                    pool.submit(move || {
                        ran.fetch_add(1, Ordering::Relaxed);
                        batch * 10_000 + i
                    })
                })
                .collect();
            for ticket in tickets {
                sum += ticket.wait_blocking().unwrap();
            }
        }
        assert_eq!(ran.load(Ordering::Relaxed), 1_000_000);
        assert_eq!(sum, 999_999 * 1_000_000 / 2);
    });
}

#[test]
fn a_panicking_job_does_not_shrink_the_pool() {
    within(BOUND, || {
        let pool = ThreadPool::builder()
            .threads(2)
            .thread_name("pp")
            .build()
            .unwrap();
        let panicked: Vec<_> = (0..50)
            .map(|i| pool.submit(move || -> u32 { panic!("job {i}") }))
            .collect();
        for (i, ticket) in panicked.into_iter().enumerate() {
            assert_eq!(
                ticket.wait_blocking(),
                Err(JobError::Panicked(format!("job {i}").into()))
            );
        }
        // Both threads are still there: two jobs that each wait for the
        // other to arrive both finish.
        let arrived = Arc::new(AtomicUsize::new(0));
        let meet = |arrived: Arc<AtomicUsize>| {
            move || {
                arrived.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + BOUND;
                while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                    std::thread::yield_now();
                }
                (
                    arrived.load(Ordering::SeqCst),
                    std::thread::current().name().map(str::to_owned),
                )
            }
        };
        let a = pool.submit(meet(arrived.clone()));
        let b = pool.submit(meet(arrived.clone()));
        let (a, b) = (a.wait_blocking().unwrap(), b.wait_blocking().unwrap());
        assert_eq!((a.0, b.0), (2, 2));
        assert_ne!(a.1, b.1, "the two jobs ran on two threads");
    });
}

#[test]
fn a_job_cancelled_before_it_starts_never_runs() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        let (release, blocker) = occupy(&pool);
        let ran = Arc::new(AtomicUsize::new(0));
        let tickets: Vec<_> = (0..100)
            .map(|_| {
                let ran = ran.clone();
                pool.submit(move || ran.fetch_add(1, Ordering::SeqCst))
            })
            .collect();
        for ticket in &tickets {
            ticket.cancel();
        }
        drop(release);
        for ticket in tickets {
            assert_eq!(ticket.wait_blocking(), Err(JobError::Cancelled));
        }
        assert_eq!(blocker.wait_blocking(), Ok(()));
        pool.shutdown(true, false);
        assert_eq!(ran.load(Ordering::SeqCst), 0, "a cancelled job ran");
    });
}

#[test]
fn cancelling_a_queued_job_resolves_its_ticket_while_the_pool_is_busy() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let (release_a, blocker_a) = occupy(&pool);
        let (release_b, blocker_b) = occupy(&pool);
        let mut queued = pool.submit(|| "ran");
        queued.cancel();
        // Every thread is still parked; the ticket resolves anyway.
        assert_eq!(
            queued.wait_blocking_timeout(BOUND),
            Err(JobError::Cancelled)
        );
        assert!(!blocker_a.is_done() && !blocker_b.is_done());
        drop((release_a, release_b));
        assert_eq!(
            (blocker_a.wait_blocking(), blocker_b.wait_blocking()),
            (Ok(()), Ok(()))
        );
    });
}

#[test]
fn cancelling_a_running_job_sets_its_flag_and_resolves_cancelled() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        let (started, is_started) = mpsc::channel();
        let ticket = pool.submit(move || {
            started.send(()).unwrap();
            let deadline = Instant::now() + BOUND;
            while !deli::pool::is_cancelled() && Instant::now() < deadline {
                std::thread::yield_now();
            }
            deli::pool::is_cancelled()
        });
        is_started.recv_timeout(BOUND).unwrap();
        assert!(
            !deli::pool::is_cancelled(),
            "no job runs on the test thread"
        );
        ticket.cancel();
        assert_eq!(ticket.wait_blocking(), Err(JobError::Cancelled));
        assert_eq!(pool.submit(|| 5).wait_blocking(), Ok(5));
    });
}

#[test]
fn shutdown_cancelling_pending_jobs_loses_nothing() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let tickets: Vec<_> = (0..20_000usize)
            .map(|i| {
                let ran = ran.clone();
                pool.submit(move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        pool.shutdown(true, true);
        let (mut finished, mut cancelled) = (0, 0);
        for (i, ticket) in tickets.into_iter().enumerate() {
            match ticket.wait_blocking() {
                Ok(value) => {
                    assert_eq!(value, i);
                    finished += 1;
                }
                Err(JobError::Cancelled) => cancelled += 1,
                Err(other) => panic!("job {i} ended with {other:?}"),
            }
        }
        assert_eq!(finished + cancelled, 20_000);
        assert_eq!(
            finished,
            ran.load(Ordering::SeqCst),
            "every job that ran reported its value"
        );
        assert_eq!(pool.submit(|| 1).wait_blocking(), Err(JobError::Shutdown));
    });
}

#[test]
fn shutdown_without_cancel_runs_every_queued_job_and_drop_waits() {
    within(BOUND, || {
        let ran = Arc::new(AtomicUsize::new(0));
        let tickets: Vec<_> = {
            let pool = ThreadPool::new(2).unwrap();
            let tickets = (0..1_000)
                .map(|_| {
                    let ran = ran.clone();
                    pool.submit(move || {
                        ran.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            pool.shutdown(false, false);
            tickets
            // dropping the pool waits for the threads
        };
        assert_eq!(ran.load(Ordering::SeqCst), 1_000);
        assert!(tickets
            .into_iter()
            .all(|ticket| ticket.wait_blocking().is_ok()));
    });
}

#[test]
fn tickets_can_be_awaited_from_async_code() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let total = deli::run(async {
            let mut total = 0;
            for n in 1..=10u64 {
                total += pool.submit(move || n * n).await.unwrap();
            }
            total
        });
        assert_eq!(total, 385);
    });
}

#[test]
fn a_job_waits_no_longer_than_asked() {
    within(BOUND, || {
        let pool = ThreadPool::new(1).unwrap();
        let (release, mut blocker) = occupy(&pool);
        assert_eq!(
            blocker.wait_blocking_timeout(Duration::from_millis(10)),
            Err(JobError::WaitTimedOut)
        );
        drop(release);
        assert_eq!(blocker.wait_blocking(), Ok(()));
    });
}
