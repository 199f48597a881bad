//! The primitives spend the cooperative budget: a loop that always finds a
//! value or a lock ready still lets the other tasks on its thread run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use deli::sync::{mpsc, Mutex, Queue, Semaphore};
use deli::{Flavor, Runtime};

/// On one thread: `busy` runs its loop of always-ready waits; a neighbour
/// queued right behind it sets a flag. Returns after how many rounds `busy`
/// first saw the flag (`None`: never, it held the thread throughout).
fn rounds_before_neighbour_runs<F, Fut>(busy: F) -> Option<usize>
where
    F: FnOnce(Arc<AtomicBool>) -> Fut,
    Fut: std::future::Future<Output = Option<usize>> + Send + 'static,
{
    let runtime = Runtime::builder()
        .flavor(Flavor::CurrentThread)
        .build()
        .unwrap();
    runtime.block_on(async {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        let busy = deli::spawn(busy(ran));
        let neighbour = deli::spawn(async move { flag.store(true, Ordering::SeqCst) });
        let seen = busy.await.unwrap();
        neighbour.await.unwrap();
        seen
    })
}

const ROUNDS: usize = 10_000;

#[test]
fn a_receive_loop_on_a_full_channel_yields() {
    let seen = rounds_before_neighbour_runs(|ran| async move {
        let (sender, mut receiver) = mpsc::unbounded();
        for n in 0..ROUNDS {
            sender.try_send(n).unwrap();
        }
        for round in 0..ROUNDS {
            if ran.load(Ordering::SeqCst) {
                return Some(round);
            }
            receiver.recv().await.unwrap();
        }
        None
    });
    assert!(seen.is_some_and(|round| round < 1_000), "{seen:?}");
}

#[test]
fn a_lock_loop_on_a_free_mutex_yields() {
    let seen = rounds_before_neighbour_runs(|ran| async move {
        let lock = Mutex::new(0u64);
        for round in 0..ROUNDS {
            if ran.load(Ordering::SeqCst) {
                return Some(round);
            }
            *lock.lock().await += 1;
        }
        None
    });
    assert!(seen.is_some_and(|round| round < 1_000), "{seen:?}");
}

#[test]
fn an_acquire_loop_and_a_queue_loop_yield() {
    let seen = rounds_before_neighbour_runs(|ran| async move {
        let semaphore = Semaphore::new(1);
        for round in 0..ROUNDS {
            if ran.load(Ordering::SeqCst) {
                return Some(round);
            }
            drop(semaphore.acquire().await.unwrap());
        }
        None
    });
    assert!(seen.is_some_and(|round| round < 1_000), "{seen:?}");
    let seen = rounds_before_neighbour_runs(|ran| async move {
        let queue = Queue::unbounded();
        for round in 0..ROUNDS {
            if ran.load(Ordering::SeqCst) {
                return Some(round);
            }
            queue.put(round).await.unwrap();
            queue.get().await.unwrap();
        }
        None
    });
    assert!(seen.is_some_and(|round| round < 1_000), "{seen:?}");
}

/// Inside a task whose cooperative budget is spent, the blocking forms
/// still finish: the thread blocking on them is its own executor and must
/// not be told to yield to nobody (that spun forever, waking itself).
#[test]
fn blocking_forms_inside_a_task_with_its_budget_spent_finish() {
    use std::future::{poll_fn, Future};
    use std::pin::pin;
    use std::task::Poll;
    use std::time::Duration;

    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = Runtime::builder()
            .flavor(Flavor::CurrentThread)
            .build()
            .unwrap();
        let outcome = runtime.block_on(async {
            deli::spawn(async {
                let lock = Mutex::new(0u64);
                // Take free locks in this poll until the budget says yield.
                let spent_after = poll_fn(|cx| {
                    for taken in 0..ROUNDS {
                        match pin!(lock.lock()).poll(cx) {
                            Poll::Ready(guard) => drop(guard),
                            Poll::Pending => return Poll::Ready(Some(taken)),
                        }
                    }
                    Poll::Ready(None)
                })
                .await;
                assert!(spent_after.is_some(), "the budget never ran out");
                // Same poll of the task, budget still spent.
                *lock.lock_blocking() += 1;
                let (sender, mut receiver) = mpsc::channel(1);
                sender.try_send(7u8).unwrap();
                let received = receiver.recv_blocking();
                let value = *lock.lock_blocking();
                (value, received)
            })
            .await
        });
        let _ = done.send(outcome);
    });
    let outcome = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("a blocking call inside a task with its budget spent never returned");
    assert_eq!(outcome, Ok((1, Some(7))));
}
