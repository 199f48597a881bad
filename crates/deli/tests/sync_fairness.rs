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
        match sender.send_blocking_timeout(1, Duration::from_millis(5)) {
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
        let received: Vec<_> = std::iter::from_fn(|| receiver.recv_blocking()).collect();
        assert_eq!(received, [2]);
    });
}

/// A close with a long line fails every waiter, none of them is later told
/// it was served, and no permit is made up on the way.
#[test]
fn close_with_a_long_line_fails_every_waiter_and_invents_no_permit() {
    let semaphore = Semaphore::new(2);
    let mut waiters: Vec<_> = (0..40)
        .map(|_| Box::pin(semaphore.acquire_many(5)))
        .collect();
    for waiter in &mut waiters {
        assert!(poll_once(waiter.as_mut()).is_pending());
    }
    semaphore.close();
    semaphore.add_permits(5);
    let mut failed = 0;
    for (n, waiter) in waiters.iter_mut().enumerate() {
        match poll_once(waiter.as_mut()) {
            Poll::Ready(Err(_)) => failed += 1,
            Poll::Ready(Ok(_)) => panic!("waiter {n} was served after the close"),
            Poll::Pending => panic!("waiter {n} still waits after the close"),
        }
    }
    assert_eq!(failed, 40);
    drop(waiters);
    // The 2 the front waiter had been handed, plus the 5 added.
    assert_eq!(semaphore.available_permits(), 7);
}

/// A waker whose drop releases a permit of the same semaphore (it owns
/// one) is dropped outside the semaphore's lock.
#[test]
fn a_waker_dropped_by_the_semaphore_may_release_into_it() {
    use std::task::Wake;
    struct HoldsAPermit(#[allow(dead_code)] deli::sync::OwnedSemaphorePermit);
    impl Wake for HoldsAPermit {
        fn wake(self: Arc<Self>) {}
    }
    within(BOUND, || {
        let semaphore = Arc::new(Semaphore::new(1));
        let mut waiting = Box::pin(semaphore.acquire());
        let held = semaphore.try_acquire_owned().unwrap();
        let waker = Waker::from(Arc::new(HoldsAPermit(held)));
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(waker);
        // A different waker replaces the one holding the permit, whose drop
        // then returns the permit — to this very waiter.
        assert!(poll_once(waiting.as_mut()).is_pending());
        assert!(poll_once(waiting.as_mut()).is_ready());
    });
}

/// Asking for more permits than a semaphore can hold fails at once instead
/// of blocking everyone behind it.
#[test]
fn an_impossible_acquisition_fails_at_once() {
    let semaphore = Semaphore::new(1);
    let error = semaphore
        .acquire_many_blocking(Semaphore::MAX_PERMITS + 1)
        .unwrap_err();
    assert!(error.to_string().contains("more permits"), "{error}");
    assert!(semaphore.try_acquire().is_ok());
}

/// A send that got room before the channel closed succeeds — and so its
/// value is received: the receiver is not told the channel ended first.
#[test]
fn a_send_that_succeeds_is_received_even_across_a_close() {
    let (sender, receiver) = mpsc::channel(1);
    sender.try_send(0).unwrap();
    let mut late = Box::pin(sender.send(1));
    assert!(poll_once(late.as_mut()).is_pending());
    assert_eq!(receiver.try_recv(), Ok(0));
    // The room went to `late`; now the channel closes before it pushes.
    receiver.close();
    assert_eq!(
        receiver.try_recv(),
        Err(deli::sync::TryRecvError::Empty),
        "not the end: a send is on its way in"
    );
    assert!(matches!(poll_once(late.as_mut()), Poll::Ready(Ok(()))));
    assert_eq!(receiver.try_recv(), Ok(1));
    assert_eq!(receiver.try_recv(), Err(deli::sync::TryRecvError::Closed));
}

/// Values still queued are dropped with the receiver, not with the last
/// sender: a reply channel inside one fails at once.
#[test]
fn queued_values_are_dropped_with_the_receiver() {
    let (sender, receiver) = mpsc::unbounded();
    let (reply, answer) = deli::sync::oneshot::channel::<u32>();
    sender.try_send(reply).unwrap();
    drop(receiver);
    assert!(
        answer.recv_blocking().is_err(),
        "the reply sender was dropped"
    );
    assert!(sender.is_closed());
}
