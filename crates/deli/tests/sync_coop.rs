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
