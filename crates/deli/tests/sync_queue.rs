//! deli::sync::Queue with producers and consumers on threads and deli tasks
//! at once: nothing lost, nothing duplicated, join() waits for every
//! task_done(), close() fails puts and (once drained) gets.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{within, BOUND};
use deli::sync::{
    Queue, RecvError, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError,
};

const PER_PRODUCER: u64 = 5_000;

#[test]
fn threads_and_tasks_lose_and_duplicate_nothing() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        // Small bound: producers wait for room all the time.
        let queue = Arc::new(Queue::new(16));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let processed = Arc::new(AtomicUsize::new(0));

        // 2 thread producers (ids 0, 1) and 2 task producers (ids 2, 3);
        // 2 thread consumers and 2 task consumers.
        let thread_producers: Vec<_> = (0..2u64)
            .map(|id| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    for n in 0..PER_PRODUCER {
                        queue.put_blocking(id * PER_PRODUCER + n).unwrap();
                    }
                })
            })
            .collect();
        let thread_consumers: Vec<_> = (0..2)
            .map(|_| {
                let (queue, seen, processed) = (queue.clone(), seen.clone(), processed.clone());
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    while let Ok(item) = queue.get_blocking() {
                        mine.push(item);
                        processed.fetch_add(1, Ordering::SeqCst);
                        queue.task_done().unwrap();
                    }
                    seen.lock().unwrap().extend(mine);
                })
            })
            .collect();
        runtime.block_on(async {
            let producers: Vec<_> = (2..4u64)
                .map(|id| {
                    let queue = Arc::clone(&queue);
                    deli::spawn(async move {
                        for n in 0..PER_PRODUCER {
                            queue.put(id * PER_PRODUCER + n).await.unwrap();
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let (queue, seen, processed) = (queue.clone(), seen.clone(), processed.clone());
                    deli::spawn(async move {
                        let mut mine = Vec::new();
                        while let Ok(item) = queue.get().await {
                            mine.push(item);
                            processed.fetch_add(1, Ordering::SeqCst);
                            queue.task_done().unwrap();
                        }
                        seen.lock().unwrap().extend(mine);
                    })
                })
                .collect();
            for producer in producers {
                producer.await.unwrap();
            }
            for producer in thread_producers {
                producer.join().unwrap();
            }
            // Every item was put; join returns once each one is done.
            queue.join().await;
            assert_eq!(processed.load(Ordering::SeqCst) as u64, 4 * PER_PRODUCER);
            assert_eq!(queue.unfinished_tasks(), 0);
            queue.close();
            for consumer in consumers {
                consumer.await.unwrap();
            }
        });
        for consumer in thread_consumers {
            consumer.join().unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.len() as u64,
            4 * PER_PRODUCER,
            "nothing lost or duplicated"
        );
        let distinct: HashSet<_> = seen.iter().copied().collect();
        assert_eq!(distinct.len(), seen.len(), "no duplicates");
        assert!(seen.iter().all(|&item| item < 4 * PER_PRODUCER));
    });
}

#[test]
fn join_waits_for_the_last_task_done() {
    within(BOUND, || {
        let queue = Arc::new(Queue::new(0));
        for n in 0..3 {
            queue.try_put(n).unwrap();
        }
        let finished = Arc::new(AtomicUsize::new(0));
        let joiner = {
            let (queue, finished) = (queue.clone(), finished.clone());
            std::thread::spawn(move || {
                queue.join_blocking();
                finished.load(Ordering::SeqCst)
            })
        };
        for _ in 0..3 {
            queue.get_blocking().unwrap();
        }
        assert!(
            !queue.join_blocking_timeout(Duration::from_millis(20)),
            "items taken but not done"
        );
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(5));
            finished.fetch_add(1, Ordering::SeqCst);
            queue.task_done().unwrap();
        }
        assert_eq!(
            joiner.join().unwrap(),
            3,
            "join returned before the last task_done"
        );
        assert!(queue.task_done().is_err());
    });
}

#[test]
fn close_fails_waiting_putters_and_drained_getters() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let full = Arc::new(Queue::new(1));
        full.try_put(0).unwrap();
        let empty = Arc::new(Queue::<u32>::new(1));
        let blocked_put = {
            let full = Arc::clone(&full);
            std::thread::spawn(move || full.put_blocking(1).map_err(|e| e.into_inner()))
        };
        let blocked_get = {
            let empty = Arc::clone(&empty);
            std::thread::spawn(move || empty.get_blocking())
        };
        runtime.block_on(async {
            let task_put = {
                let full = Arc::clone(&full);
                deli::spawn(async move { full.put(2).await.map_err(|e| e.into_inner()) })
            };
            let task_get = {
                let empty = Arc::clone(&empty);
                deli::spawn(async move { empty.get().await })
            };
            deli::sleep(Duration::from_millis(20)).await;
            full.close();
            empty.close();
            assert_eq!(task_put.await.unwrap(), Err(2));
            assert_eq!(task_get.await.unwrap(), Err(RecvError));
            // What was in before the close still comes out, then the error.
            assert_eq!(full.get().await, Ok(0));
            assert_eq!(full.get().await, Err(RecvError));
        });
        assert_eq!(blocked_put.join().unwrap(), Err(1));
        assert_eq!(blocked_get.join().unwrap(), Err(RecvError));
        assert!(matches!(full.try_put(3), Err(TrySendError::Closed(3))));
        assert_eq!(full.try_get(), Err(TryRecvError::Closed));
        assert!(matches!(
            full.put_blocking_timeout(4, Duration::from_millis(5)),
            Err(SendTimeoutError::Closed(4))
        ));
        assert_eq!(
            full.get_blocking_timeout(Duration::from_millis(5)),
            Err(RecvTimeoutError::Closed)
        );
    });
}

#[test]
fn timeouts_hand_the_item_back_and_lose_nothing() {
    within(BOUND, || {
        let queue = Queue::new(1);
        queue.try_put("first").unwrap();
        match queue.put_blocking_timeout("second", Duration::from_millis(10)) {
            Err(SendTimeoutError::Timeout(item)) => assert_eq!(item, "second"),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.unfinished_tasks(), 1);
        deli::run(async {
            // A get cut off by a deadline takes nothing.
            let empty = Queue::<u8>::new(0);
            assert!(deli::timeout(Duration::from_millis(10), empty.get())
                .await
                .is_err());
            empty.try_put(1).unwrap();
            assert_eq!(empty.get().await, Ok(1));
        });
    });
}
