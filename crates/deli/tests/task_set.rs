//! `TaskSet`: results in completion order for every kind of ticket (async
//! task, blocking call, thread-pool job, process-pool job), `abort_all`,
//! `shutdown`, `join_all`, `try_join_next`, and cancel on drop.
//!
//! Its own `main` (`harness = false`), because a process-pool worker child
//! re-executes this binary and must become a worker before anything else.
//! Every wait is bounded.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deli::{JobError, TaskSet};

#[deli::job]
fn square(n: u64) -> u64 {
    n * n
}

const BOUND: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn results_come_in_completion_order() {
    // A paused clock makes the order exact: each timer fires alone.
    let runtime = deli::Runtime::builder()
        .current_thread()
        .start_paused(true)
        .build()
        .unwrap();
    let order = runtime.block_on(async {
        let mut set = TaskSet::new();
        for delay in [30u64, 10, 50, 20, 40] {
            set.spawn(async move {
                deli::sleep(ms(delay)).await;
                delay
            });
        }
        assert_eq!(set.len(), 5);
        let mut order = Vec::new();
        while let Some(result) = set.join_next().await {
            order.push(result.unwrap());
        }
        assert!(set.is_empty());
        assert_eq!(set.join_next().await, None);
        order
    });
    assert_eq!(order, [10, 20, 30, 40, 50]);
}

fn every_kind_of_ticket_joins_the_set() {
    let pool = deli::ThreadPool::new(2).unwrap();
    let processes = deli::ProcessPool::new(1).expect("process pool");
    let mut results = deli::run(async {
        let mut set = TaskSet::new();
        set.spawn(async { 1u64 });
        set.spawn_blocking(|| 2u64);
        set.insert(pool.submit(|| 3u64));
        set.insert(processes.submit(square, 2)); // 4
        let other = deli::Runtime::builder().workers(1).build().unwrap();
        set.spawn_on(other.handle(), async { 5u64 });
        let all = deli::timeout(BOUND, set.join_all()).await.expect("bounded");
        drop(other);
        all
    })
    .into_iter()
    .map(Result::unwrap)
    .collect::<Vec<_>>();
    results.sort_unstable();
    assert_eq!(results, [1, 2, 3, 4, 5]);
}

fn abort_all_cancels_and_results_say_so() {
    deli::run(async {
        let mut set = TaskSet::new();
        set.spawn(async { "done" });
        // Let the quick one finish before the cancel.
        while set.try_join_next().is_none() {
            deli::yield_now().await;
        }
        for _ in 0..3 {
            set.spawn(std::future::pending::<&str>());
        }
        let pool = deli::ThreadPool::new(1).unwrap();
        set.insert(pool.submit(|| {
            std::thread::sleep(ms(10));
            "job"
        }));
        set.abort_all();
        let mut cancelled = 0;
        while let Some(result) = deli::timeout(BOUND, set.join_next())
            .await
            .expect("bounded")
        {
            match result {
                Err(JobError::Cancelled) => cancelled += 1,
                // The pool job may have started before the cancel.
                Ok("job") => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(cancelled >= 3, "{cancelled}");
    });
}

fn shutdown_waits_and_drop_cancels() {
    deli::run(async {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = TaskSet::new();
        for _ in 0..4 {
            let guard = DropCounter(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
        }
        deli::timeout(BOUND, set.shutdown()).await.expect("bounded");
        assert!(set.is_empty());
        assert_eq!(drops.load(Ordering::SeqCst), 4, "every task ended");

        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = TaskSet::new();
        for _ in 0..4 {
            let guard = DropCounter(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
        }
        drop(set);
        let give_up = std::time::Instant::now() + BOUND;
        while drops.load(Ordering::SeqCst) < 4 && std::time::Instant::now() < give_up {
            deli::sleep(ms(1)).await;
        }
        assert_eq!(
            drops.load(Ordering::SeqCst),
            4,
            "dropping the set cancelled them"
        );
    });
}

fn many_tickets_one_finisher() {
    // 2,000 pending tasks and one that finishes: the finisher comes out
    // first and alone (a set that lost wake-ups would wait forever).
    deli::run(async {
        let mut set: TaskSet<u32> = (0..2_000)
            .map(|_| deli::spawn(std::future::pending::<u32>()))
            .collect();
        let (tx, rx) = deli::sync::oneshot::channel::<u32>();
        set.spawn(async move { rx.await.unwrap_or(0) });
        assert!(set.try_join_next().is_none());
        deli::yield_now().await;
        tx.send(9).unwrap();
        let first = deli::timeout(BOUND, set.join_next())
            .await
            .expect("bounded");
        assert_eq!(first, Some(Ok(9)));
        assert_eq!(set.len(), 2_000);
        set.shutdown().await;
    });
}

fn main() {
    deli::process::init();
    let tests: [(&str, fn()); 5] = [
        (
            "results_come_in_completion_order",
            results_come_in_completion_order,
        ),
        (
            "every_kind_of_ticket_joins_the_set",
            every_kind_of_ticket_joins_the_set,
        ),
        (
            "abort_all_cancels_and_results_say_so",
            abort_all_cancels_and_results_say_so,
        ),
        (
            "shutdown_waits_and_drop_cancels",
            shutdown_waits_and_drop_cancels,
        ),
        ("many_tickets_one_finisher", many_tickets_one_finisher),
    ];
    let failed = common::run_tests(&tests, |test| test());
    common::exit_if_failed(&failed);
}
