//! The fair permit pool under the locks and the semaphore: waiters are
//! served in arrival order, a waiting writer holds back later readers,
//! permits are handed over (not grabbed), cancelled waiters give back what
//! they were handed, and the mpsc channel's room is shared out in order.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{within, BOUND};
use deli::sync::{mpsc, Mutex, RwLock, Semaphore, SendTimeoutError};

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn mutex_waiters_get_the_lock_in_arrival_order() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().current_thread().build().unwrap();
        let order = runtime.block_on(async {
            let mutex = Arc::new(Mutex::new(Vec::new()));
            let held = mutex.lock().await;
            let mut tickets = Vec::new();
            for n in 0..20 {
                let mutex = Arc::clone(&mutex);
                tickets.push(deli::spawn(async move { mutex.lock().await.push(n) }));
                // Let it queue up before the next one arrives.
                deli::yield_now().await;
            }
            drop(held);
            for ticket in tickets {
                ticket.await.unwrap();
            }
            let order = mutex.lock().await.clone();
            order
        });
        assert_eq!(order, (0..20).collect::<Vec<_>>());
    });
}

#[test]
fn a_released_lock_goes_to_the_waiter_not_to_a_newcomer() {
    let mutex = Mutex::new(0);
    let held = mutex.try_lock().unwrap();
    let mut waiting = pin!(mutex.lock());
    assert!(poll_once(waiting.as_mut()).is_pending());
    drop(held);
    // The waiter owns the lock now, though its future has not run yet.
    assert!(mutex.try_lock().is_none(), "a newcomer overtook the waiter");
    let Poll::Ready(mut guard) = poll_once(waiting.as_mut()) else {
        panic!("the waiter was handed the lock");
    };
    *guard += 1;
    drop(guard);
    assert_eq!(*mutex.try_lock().unwrap(), 1);
}

#[test]
fn a_cancelled_lock_waiter_passes_the_lock_on() {
    let mutex = Mutex::new(());
    let held = mutex.try_lock().unwrap();
    let mut first = Box::pin(mutex.lock());
    let mut second = Box::pin(mutex.lock());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(second.as_mut()).is_pending());
    drop(held);
    // Handed to `first`, which is dropped before it collects.
    drop(first);
    assert!(poll_once(second.as_mut()).is_ready());
}

#[test]
fn a_waiting_writer_holds_back_later_readers_who_then_go_in_together() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut writer = pin!(lock.write());
    assert!(poll_once(writer.as_mut()).is_pending());
    assert!(lock.try_read().is_none(), "a reader overtook the writer");
    let mut late_readers: Vec<_> = (0..3).map(|_| Box::pin(lock.read())).collect();
    for late in &mut late_readers {
        assert!(poll_once(late.as_mut()).is_pending());
    }
    drop(reader);
    let Poll::Ready(mut written) = poll_once(writer.as_mut()) else {
        panic!("the writer was next");
    };
    *written = 7;
    for late in &mut late_readers {
        assert!(poll_once(late.as_mut()).is_pending(), "the writer holds it");
    }
    drop(written);
    let guards: Vec<_> = late_readers
        .iter_mut()
        .map(|late| match poll_once(late.as_mut()) {
            Poll::Ready(guard) => guard,
            Poll::Pending => panic!("every reader behind the writer goes in"),
        })
        .collect();
    assert!(guards.iter().all(|guard| **guard == 7));
}

#[test]
fn owned_guards_move_between_tasks_and_threads() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let mutex = Arc::new(Mutex::new(0u32));
        runtime.block_on(async {
            let mut guard = mutex.lock_owned().await;
            *guard += 1;
            let thread = std::thread::spawn(move || {
                *guard += 1;
                drop(guard);
            });
            let total = *mutex.lock().await;
            thread.join().unwrap();
            assert_eq!(total, 2);
        });
    });
}

#[test]
fn many_permits_at_once_with_cancellations_never_overdraw_or_leak() {
    within(BOUND, || {
        const PERMITS: usize = 8;
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let semaphore = Arc::new(Semaphore::new(PERMITS));
        let inside = Arc::new(AtomicUsize::new(0));
        runtime.block_on(async {
            let tickets: Vec<_> = (0..400usize)
                .map(|n| {
                    let (semaphore, inside) = (Arc::clone(&semaphore), Arc::clone(&inside));
                    deli::spawn(async move {
                        let wanted = 1 + n % PERMITS;
                        // Every third waits only briefly: cancelled in line,
                        // maybe after being handed some permits.
                        let limit = if n % 3 == 0 {
                            Duration::from_micros(50)
                        } else {
                            BOUND
                        };
                        let acquired = deli::timeout(limit, semaphore.acquire_many(wanted)).await;
                        if let Ok(permits) = acquired {
                            let permits = permits.unwrap();
                            let now = inside.fetch_add(wanted, Ordering::SeqCst) + wanted;
                            assert!(now <= PERMITS, "{now} permits out of {PERMITS}");
                            deli::yield_now().await;
                            inside.fetch_sub(wanted, Ordering::SeqCst);
                            drop(permits);
                        }
                    })
                })
                .collect();
            for ticket in tickets {
                ticket.await.unwrap();
            }
        });
        assert_eq!(semaphore.available_permits(), PERMITS);
        assert!(semaphore.try_acquire_many(PERMITS).is_ok());
    });
}

#[test]
fn mpsc_send_timeout_gives_the_value_back_and_room_goes_in_order() {
    within(BOUND, || {
        let (sender, mut receiver) = mpsc::channel(1);
        sender.try_send(0).unwrap();
        match sender.send_timeout(1, Duration::from_millis(5)) {
            Err(SendTimeoutError::Timeout(1)) => {}
            other => panic!("expected a time-out with the value back, got {other:?}"),
        }
        // Two sends wait for room; the room goes to the first.
        let mut first = Box::pin(sender.send(1));
        let mut second = Box::pin(sender.send(2));
        assert!(poll_once(first.as_mut()).is_pending());
        assert!(poll_once(second.as_mut()).is_pending());
        assert_eq!(receiver.try_recv(), Ok(0));
        assert!(
            poll_once(second.as_mut()).is_pending(),
            "the second send took the room the first was waiting for"
        );
        assert!(matches!(poll_once(first.as_mut()), Poll::Ready(Ok(()))));
        assert_eq!(receiver.try_recv(), Ok(1));
        assert!(matches!(poll_once(second.as_mut()), Poll::Ready(Ok(()))));
        drop((first, second));
        drop(sender);
        let received: Vec<_> = std::iter::from_fn(|| receiver.recv_blocking().ok()).collect();
        assert_eq!(received, [2]);
    });
}
