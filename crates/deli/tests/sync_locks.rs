//! Mutex and RwLock exclude under contention from threads and deli tasks
//! at once; Barrier, Event and Notify behave as documented.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{runtimes, within, BOUND};
use deli::sync::{Barrier, Event, Mutex, Notify, RwLock};

const THREADS: usize = 2;
const TASKS: usize = 200;
const ROUNDS: usize = 200;

/// A non-atomic read-modify-write with a yield in the middle: any overlap
/// of two holders loses an update or trips the `busy` flag.
#[test]
fn mutex_excludes_threads_and_tasks_at_once() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let counter = Arc::new(Mutex::new(0usize));
        let busy = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..THREADS)
            .map(|n| {
                let (counter, busy) = (counter.clone(), busy.clone());
                std::thread::spawn(move || {
                    for round in 0..ROUNDS * 10 {
                        let mut guard = if (n + round) % 3 == 0 {
                            counter
                                .lock_blocking_timeout(BOUND)
                                .expect("lock within the bound")
                        } else if let Some(guard) = counter.try_lock() {
                            guard
                        } else {
                            counter.lock_blocking()
                        };
                        assert!(!busy.swap(true, Ordering::SeqCst), "two holders at once");
                        let seen = *guard;
                        std::hint::spin_loop();
                        *guard = seen + 1;
                        busy.store(false, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let (counter, busy) = (counter.clone(), busy.clone());
                    deli::spawn(async move {
                        for _ in 0..ROUNDS {
                            let mut guard = counter.lock().await;
                            assert!(!busy.swap(true, Ordering::SeqCst), "two holders at once");
                            let seen = *guard;
                            deli::yield_now().await; // held across an await
                            *guard = seen + 1;
                            busy.store(false, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(
            *counter.lock_blocking(),
            THREADS * ROUNDS * 10 + TASKS * ROUNDS
        );
    });
}

#[test]
fn rwlock_readers_share_writers_exclude() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let lock = Arc::new(RwLock::new(0usize));
        let readers = Arc::new(AtomicUsize::new(0));
        let writers = Arc::new(AtomicUsize::new(0));
        let readers_together = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|n| {
                let (lock, readers, writers) = (lock.clone(), readers.clone(), writers.clone());
                std::thread::spawn(move || {
                    for round in 0..ROUNDS * 5 {
                        if (n + round) % 4 == 0 {
                            let mut guard = lock.write_blocking();
                            assert_eq!(writers.fetch_add(1, Ordering::SeqCst), 0);
                            assert_eq!(readers.load(Ordering::SeqCst), 0);
                            *guard += 1;
                            writers.fetch_sub(1, Ordering::SeqCst);
                        } else {
                            let _guard = lock.read_blocking();
                            readers.fetch_add(1, Ordering::SeqCst);
                            assert_eq!(writers.load(Ordering::SeqCst), 0);
                            readers.fetch_sub(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        let task_writes = runtime.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|n| {
                    let (lock, readers, writers, together) = (
                        lock.clone(),
                        readers.clone(),
                        writers.clone(),
                        readers_together.clone(),
                    );
                    deli::spawn(async move {
                        let mut writes = 0;
                        for round in 0..ROUNDS {
                            if (n + round) % 4 == 0 {
                                let mut guard = lock.write().await;
                                assert_eq!(writers.fetch_add(1, Ordering::SeqCst), 0);
                                assert_eq!(readers.load(Ordering::SeqCst), 0);
                                deli::yield_now().await;
                                *guard += 1;
                                writes += 1;
                                writers.fetch_sub(1, Ordering::SeqCst);
                            } else {
                                let _guard = lock.read().await;
                                let now = readers.fetch_add(1, Ordering::SeqCst) + 1;
                                together.fetch_max(now, Ordering::SeqCst);
                                assert_eq!(writers.load(Ordering::SeqCst), 0);
                                deli::yield_now().await;
                                readers.fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                        writes
                    })
                })
                .collect();
            let mut writes = 0;
            for task in tasks {
                writes += task.await.unwrap();
            }
            writes
        });
        for thread in threads {
            thread.join().unwrap();
        }
        let thread_writes = (0..THREADS)
            .map(|n| (0..ROUNDS * 5).filter(|round| (n + round) % 4 == 0).count())
            .sum::<usize>();
        assert_eq!(*lock.read_blocking(), thread_writes + task_writes);
        assert!(
            readers_together.load(Ordering::SeqCst) >= 2,
            "readers held across a yield should have overlapped at least once"
        );
    });
}

#[test]
fn barrier_releases_all_together_with_one_leader_per_round() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            const PARTIES: usize = 4;
            const ROUNDS: usize = 20;
            let barrier = Arc::new(Barrier::new(PARTIES));
            let arrived = Arc::new(AtomicUsize::new(0));
            let leaders = Arc::new(AtomicUsize::new(0));
            // Two parties are threads, two are tasks.
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (barrier, arrived, leaders) =
                        (barrier.clone(), arrived.clone(), leaders.clone());
                    std::thread::spawn(move || {
                        for round in 0..ROUNDS {
                            arrived.fetch_add(1, Ordering::SeqCst);
                            if barrier.wait_blocking().is_leader() {
                                leaders.fetch_add(1, Ordering::SeqCst);
                            }
                            // Nobody passes until all of this round arrived.
                            assert!(arrived.load(Ordering::SeqCst) >= (round + 1) * PARTIES);
                        }
                    })
                })
                .collect();
            runtime.block_on(async {
                let tasks: Vec<_> = (0..2)
                    .map(|_| {
                        let (barrier, arrived, leaders) =
                            (barrier.clone(), arrived.clone(), leaders.clone());
                        deli::spawn(async move {
                            for round in 0..ROUNDS {
                                arrived.fetch_add(1, Ordering::SeqCst);
                                if barrier.wait().await.is_leader() {
                                    leaders.fetch_add(1, Ordering::SeqCst);
                                }
                                assert!(arrived.load(Ordering::SeqCst) >= (round + 1) * PARTIES);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
            });
            for thread in threads {
                thread.join().unwrap();
            }
            assert_eq!(leaders.load(Ordering::SeqCst), ROUNDS, "{flavour}");
        }
    });
}

#[test]
fn event_set_wakes_every_waiter_and_clear_blocks_again() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let event = Arc::new(Event::new());
            let threads: Vec<_> = (0..3)
                .map(|_| {
                    let event = Arc::clone(&event);
                    std::thread::spawn(move || event.wait_blocking())
                })
                .collect();
            runtime.block_on(async {
                let tasks: Vec<_> = (0..10)
                    .map(|_| {
                        let event = Arc::clone(&event);
                        deli::spawn(async move { event.wait().await })
                    })
                    .collect();
                deli::sleep(Duration::from_millis(20)).await;
                assert!(!event.is_set());
                event.set();
                for task in tasks {
                    task.await.unwrap();
                }
                // Set: waits pass at once. Cleared: they block again.
                event.wait().await;
                event.clear();
                let blocked = deli::timeout(Duration::from_millis(10), event.wait()).await;
                assert!(blocked.is_err(), "{flavour}");
            });
            for thread in threads {
                thread.join().unwrap();
            }
            assert!(!event.wait_blocking_timeout(Duration::from_millis(5)));
        }
    });
}

#[test]
fn event_waiter_woken_by_set_returns_even_if_cleared_at_once() {
    within(BOUND, || {
        let event = Arc::new(Event::new());
        let waiter = {
            let event = Arc::clone(&event);
            std::thread::spawn(move || event.wait_blocking_timeout(BOUND))
        };
        std::thread::sleep(Duration::from_millis(20));
        event.set();
        event.clear();
        assert!(waiter.join().unwrap(), "Python semantics: the set was seen");
    });
}

#[test]
fn notify_one_wakes_exactly_one_and_keeps_a_permit() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let notify = Arc::new(Notify::new());
            let woken = Arc::new(AtomicUsize::new(0));
            runtime.block_on(async {
                let tasks: Vec<_> = (0..5)
                    .map(|_| {
                        let (notify, woken) = (notify.clone(), woken.clone());
                        deli::spawn(async move {
                            notify.notified().await;
                            woken.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                deli::sleep(Duration::from_millis(20)).await;
                for expected in 1..=5 {
                    notify.notify_one();
                    let deadline = std::time::Instant::now() + BOUND;
                    while woken.load(Ordering::SeqCst) < expected {
                        assert!(std::time::Instant::now() < deadline);
                        deli::sleep(Duration::from_millis(1)).await;
                    }
                    deli::sleep(Duration::from_millis(5)).await;
                    assert_eq!(
                        woken.load(Ordering::SeqCst),
                        expected,
                        "{flavour}: one per notify_one"
                    );
                }
                for task in tasks {
                    task.await.unwrap();
                }
            });
            // Nobody waits: the permit is kept for the next waiter (a thread here).
            notify.notify_one();
            let notify_thread = Arc::clone(&notify);
            assert!(
                std::thread::spawn(move || notify_thread.notified_blocking_timeout(BOUND))
                    .join()
                    .unwrap()
            );
            assert!(!notify.try_notified());
        }
    });
}

#[test]
fn notify_all_wakes_threads_and_tasks() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let notify = Arc::new(Notify::new());
        let released = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (notify, released) = (notify.clone(), released.clone());
                std::thread::spawn(move || {
                    // notify_all stores no permit: loop until the release is seen.
                    while !released.load(Ordering::SeqCst) {
                        notify.notified_blocking_timeout(Duration::from_millis(50));
                    }
                })
            })
            .collect();
        runtime.block_on(async {
            let registered = Arc::new(AtomicUsize::new(0));
            let waiting: Vec<_> = (0..10)
                .map(|_| {
                    let (notify, registered) = (notify.clone(), registered.clone());
                    deli::spawn(async move {
                        // Waiting from its creation on, polled or not.
                        let notified = notify.notified();
                        registered.fetch_add(1, Ordering::SeqCst);
                        notified.await
                    })
                })
                .collect();
            let deadline = std::time::Instant::now() + BOUND;
            while registered.load(Ordering::SeqCst) < 10 {
                assert!(std::time::Instant::now() < deadline);
                deli::sleep(Duration::from_millis(1)).await;
            }
            released.store(true, Ordering::SeqCst);
            notify.notify_all();
            for task in waiting {
                task.await.unwrap();
            }
            assert!(!notify.try_notified(), "notify_all leaves no permit");
        });
        for thread in threads {
            thread.join().unwrap();
        }
    });
}
