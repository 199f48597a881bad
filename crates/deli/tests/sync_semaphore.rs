//! deli::sync::Semaphore under load: the permit count is never exceeded,
//! from tasks and threads at once; closing wakes every kind of waiter.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{runtimes, within, BOUND};
use deli::sync::{AcquireError, Semaphore};

/// Counts how many are inside and remembers the most ever seen at once.
#[derive(Default)]
struct Occupancy {
    inside: AtomicUsize,
    most: AtomicUsize,
    entries: AtomicUsize,
}

impl Occupancy {
    fn enter(&self) {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        self.entries.fetch_add(1, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn ten_thousand_tasks_never_exceed_three_permits() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let semaphore = Arc::new(Semaphore::new(3));
            let occupancy = Arc::new(Occupancy::default());
            runtime.block_on(async {
                let tickets: Vec<_> = (0..10_000)
                    .map(|n| {
                        let semaphore = Arc::clone(&semaphore);
                        let occupancy = Arc::clone(&occupancy);
                        deli::spawn(async move {
                            let _permit = semaphore.acquire().await.unwrap();
                            occupancy.enter();
                            if n % 2 == 0 {
                                deli::yield_now().await;
                            }
                            occupancy.leave();
                        })
                    })
                    .collect();
                for ticket in tickets {
                    ticket.await.unwrap();
                }
            });
            assert_eq!(
                occupancy.entries.load(Ordering::SeqCst),
                10_000,
                "{flavour}"
            );
            let most = occupancy.most.load(Ordering::SeqCst);
            assert!((1..=3).contains(&most), "{flavour}: {most} inside at once");
            assert_eq!(semaphore.available_permits(), 3, "{flavour}");
        }
    });
}

#[test]
fn tasks_and_threads_share_the_limit() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let semaphore = Arc::new(Semaphore::new(3));
        let occupancy = Arc::new(Occupancy::default());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let semaphore = Arc::clone(&semaphore);
                let occupancy = Arc::clone(&occupancy);
                std::thread::spawn(move || {
                    for round in 0..500 {
                        // Many-permit and single forms count alike.
                        let permit = if round % 3 == 0 {
                            semaphore.acquire_many_blocking(2).unwrap()
                        } else {
                            semaphore.acquire_blocking().unwrap()
                        };
                        assert!(permit.num_permits() >= 1);
                        occupancy.enter();
                        std::thread::yield_now();
                        occupancy.leave();
                        drop(permit);
                    }
                })
            })
            .collect();
        runtime.block_on(async {
            let tickets: Vec<_> = (0..2_000)
                .map(|_| {
                    let semaphore = Arc::clone(&semaphore);
                    let occupancy = Arc::clone(&occupancy);
                    deli::spawn(async move {
                        let _permit = semaphore.acquire_owned().await.unwrap();
                        occupancy.enter();
                        deli::yield_now().await;
                        occupancy.leave();
                    })
                })
                .collect();
            for ticket in tickets {
                ticket.await.unwrap();
            }
        });
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(occupancy.entries.load(Ordering::SeqCst), 4 * 500 + 2_000);
        assert!(occupancy.most.load(Ordering::SeqCst) <= 3);
        assert_eq!(semaphore.available_permits(), 3);
    });
}

/// Permits are counted, not just holders: the occupancy above is about
/// holders, so check the permit arithmetic directly too.
#[test]
fn many_permit_holders_never_overdraw() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let semaphore = Arc::new(Semaphore::new(5));
        let taken = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        runtime.block_on(async {
            let tickets: Vec<_> = (0..3_000usize)
                .map(|n| {
                    let (semaphore, taken, most) = (semaphore.clone(), taken.clone(), most.clone());
                    deli::spawn(async move {
                        let wanted = 1 + n % 5;
                        let permit = semaphore.acquire_many(wanted).await.unwrap();
                        let now = taken.fetch_add(wanted, Ordering::SeqCst) + wanted;
                        most.fetch_max(now, Ordering::SeqCst);
                        deli::yield_now().await;
                        taken.fetch_sub(permit.num_permits(), Ordering::SeqCst);
                    })
                })
                .collect();
            for ticket in tickets {
                ticket.await.unwrap();
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 5);
        assert_eq!(semaphore.available_permits(), 5);
    });
}

#[test]
fn close_wakes_async_and_blocking_waiters() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let semaphore = Arc::new(Semaphore::new(0));
            let blocked = {
                let semaphore = Arc::clone(&semaphore);
                std::thread::spawn(move || semaphore.acquire_blocking().map(drop))
            };
            let timed = {
                let semaphore = Arc::clone(&semaphore);
                std::thread::spawn(move || semaphore.acquire_blocking_timeout(BOUND).map(drop))
            };
            let results = runtime.block_on(async {
                let waiters: Vec<_> = (0..10)
                    .map(|_| {
                        let semaphore = Arc::clone(&semaphore);
                        deli::spawn(async move { semaphore.acquire_many_owned(2).await.map(drop) })
                    })
                    .collect();
                deli::sleep(Duration::from_millis(20)).await;
                semaphore.close();
                let mut results = Vec::new();
                for waiter in waiters {
                    results.push(waiter.await.unwrap());
                }
                results
            });
            assert!(
                results
                    .iter()
                    .all(|r: &Result<(), AcquireError>| r.is_err()),
                "{flavour}"
            );
            assert!(blocked.join().unwrap().is_err(), "{flavour}");
            assert_eq!(
                timed.join().unwrap(),
                Err(deli::sync::AcquireTimeoutError::Closed),
                "{flavour}"
            );
            assert!(semaphore.try_acquire().is_err());
        }
    });
}

#[test]
fn a_cancelled_acquire_takes_nothing() {
    within(BOUND, || {
        deli::run(async {
            let semaphore = Semaphore::new(1);
            let held = semaphore.acquire().await.unwrap();
            let cut_off = deli::timeout(Duration::from_millis(10), semaphore.acquire()).await;
            assert!(cut_off.is_err());
            drop(held);
            assert_eq!(semaphore.available_permits(), 1);
            assert!(semaphore.acquire().await.is_ok());
        });
    });
}
