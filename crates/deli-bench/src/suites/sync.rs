//! The `sync` suite: deli's sync primitives on deli's runtime against
//! tokio's `tokio::sync` on tokio's runtime, both multi-thread with 2
//! workers.
//!
//! Cases: `mpsc` (4 producer tasks, 1 consumer task, 1,000,000 `u64`s
//! through a bounded channel of 1,024), `semaphore` (1,000 tasks share 10
//! permits; each takes a permit 100 times and yields once while holding it)
//! and `mutex` (1,000 tasks each lock one counter 1,000 times). Prints
//! `BENCH sync/<case>-mt deli=<ns> tokio=<ns> ratio=<deli/tokio>`.
//!
//! Owns: [`Kit`] (the primitives each side brings) and the case bodies.
//! Calls: the harness, [`crate::runtimes`], [`crate::countdown`],
//! [`crate::oneshot`], `deli::sync` and `tokio::sync`.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::countdown::Countdown;
use crate::harness::Harness;
use crate::oneshot;
use crate::runtimes::{BenchRuntime, Deli, Flavor, Tokio};

/// The suite's name on the command line and in `BENCH` lines.
pub const SUITE: &str = "sync";

const MESSAGES: u64 = 1_000_000;
const PRODUCERS: u64 = 4;
const CHANNEL_CAPACITY: usize = 1_024;
const SEMAPHORE_TASKS: usize = 1_000;
const PERMITS: usize = 10;
const ACQUIRES_PER_TASK: usize = 100;
const MUTEX_TASKS: usize = 1_000;
const LOCKS_PER_TASK: usize = 1_000;

/// Runs every case (multi-thread only: the comparison is about contention).
pub fn run(harness: &Harness) -> io::Result<()> {
    let flavor = Flavor::MultiThread;
    compare::<Mpsc>(harness, flavor)?;
    compare::<SemaphoreCase>(harness, flavor)?;
    compare::<MutexCase>(harness, flavor)?;
    Ok(())
}

/// The primitives one side brings, each used the way its docs suggest.
pub trait Kit: BenchRuntime {
    type Sender: Clone + Send + Sync + 'static;
    type Receiver: Send + 'static;
    type Semaphore: Send + Sync + 'static;
    type Mutex: Send + Sync + 'static;

    fn channel(capacity: usize) -> (Self::Sender, Self::Receiver);
    fn send(sender: &Self::Sender, value: u64) -> impl Future<Output = ()> + Send;
    fn recv(receiver: &mut Self::Receiver) -> impl Future<Output = Option<u64>> + Send;

    fn semaphore(permits: usize) -> Self::Semaphore;
    /// Takes a permit, yields once while holding it, then releases it.
    fn hold_permit(semaphore: &Self::Semaphore) -> impl Future<Output = ()> + Send;

    fn mutex() -> Self::Mutex;
    /// Locks the counter and adds one.
    fn increment(mutex: &Self::Mutex) -> impl Future<Output = ()> + Send;
    fn total(mutex: &Self::Mutex) -> u64;
}

impl Kit for Deli {
    type Sender = deli::sync::mpsc::Sender<u64>;
    type Receiver = deli::sync::mpsc::Receiver<u64>;
    type Semaphore = deli::sync::Semaphore;
    type Mutex = deli::sync::Mutex<u64>;

    fn channel(capacity: usize) -> (Self::Sender, Self::Receiver) {
        deli::sync::mpsc::channel(capacity)
    }

    async fn send(sender: &Self::Sender, value: u64) {
        sender
            .send(value)
            .await
            .expect("the consumer outlives the producers");
    }

    async fn recv(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv().await
    }

    fn semaphore(permits: usize) -> Self::Semaphore {
        deli::sync::Semaphore::new(permits)
    }

    async fn hold_permit(semaphore: &Self::Semaphore) {
        let _permit = semaphore.acquire().await.expect("never closed");
        Self::yield_now().await;
    }

    fn mutex() -> Self::Mutex {
        deli::sync::Mutex::new(0)
    }

    async fn increment(mutex: &Self::Mutex) {
        *mutex.lock().await += 1;
    }

    fn total(mutex: &Self::Mutex) -> u64 {
        *mutex.try_lock().expect("every task is done")
    }
}

impl Kit for Tokio {
    type Sender = tokio::sync::mpsc::Sender<u64>;
    type Receiver = tokio::sync::mpsc::Receiver<u64>;
    type Semaphore = tokio::sync::Semaphore;
    type Mutex = tokio::sync::Mutex<u64>;

    fn channel(capacity: usize) -> (Self::Sender, Self::Receiver) {
        tokio::sync::mpsc::channel(capacity)
    }

    async fn send(sender: &Self::Sender, value: u64) {
        sender
            .send(value)
            .await
            .expect("the consumer outlives the producers");
    }

    async fn recv(receiver: &mut Self::Receiver) -> Option<u64> {
        receiver.recv().await
    }

    fn semaphore(permits: usize) -> Self::Semaphore {
        tokio::sync::Semaphore::new(permits)
    }

    async fn hold_permit(semaphore: &Self::Semaphore) {
        let _permit = semaphore.acquire().await.expect("never closed");
        Self::yield_now().await;
    }

    fn mutex() -> Self::Mutex {
        tokio::sync::Mutex::new(0)
    }

    async fn increment(mutex: &Self::Mutex) {
        *mutex.lock().await += 1;
    }

    fn total(mutex: &Self::Mutex) -> u64 {
        *mutex.try_lock().expect("every task is done")
    }
}

/// One case: a name and a body written once against [`Kit`].
trait SyncCase {
    const NAME: &'static str;
    fn body<K: Kit>() -> impl Future<Output = ()>;
}

fn compare<C: SyncCase>(harness: &Harness, flavor: Flavor) -> io::Result<()> {
    let name = format!("{SUITE}/{}-{}", C::NAME, flavor.suffix());
    if !harness.selects(&name) {
        return Ok(());
    }
    let (deli, tokio) = {
        let _guard = harness.watch(format!("{name}: building the runtimes"));
        (Deli::build(flavor)?, Tokio::build(flavor)?)
    };
    let comparison = harness.compare(
        &name,
        || time_one_run::<Deli, C>(&deli),
        || time_one_run::<Tokio, C>(&tokio),
    );
    println!("{comparison}");
    let _guard = harness.watch(format!("{name}: dropping the runtimes"));
    drop(deli);
    drop(tokio);
    Ok(())
}

fn time_one_run<K: Kit, C: SyncCase>(runtime: &K) -> Duration {
    let body = C::body::<K>();
    let start = Instant::now();
    runtime.block_on(body);
    start.elapsed()
}

async fn expect_completion(all_done: oneshot::Receiver<()>, case: &str) {
    if all_done.await.is_err() {
        panic!("{SUITE}/{case}: a task was dropped before it signalled completion");
    }
}

/// 4 producers, 1 consumer, 1,000,000 messages, bounded channel.
struct Mpsc;

impl SyncCase for Mpsc {
    const NAME: &'static str = "mpsc";

    async fn body<K: Kit>() {
        let (sender, mut receiver) = K::channel(CHANNEL_CAPACITY);
        let (sum_sender, sum) = oneshot::channel();
        K::spawn_detached(async move {
            let mut total = 0u64;
            while let Some(value) = K::recv(&mut receiver).await {
                total += value;
            }
            let _ = sum_sender.send(total);
        });
        let per_producer = MESSAGES / PRODUCERS;
        for producer in 0..PRODUCERS {
            let sender = sender.clone();
            K::spawn_detached(async move {
                let first = producer * per_producer;
                for value in first..first + per_producer {
                    K::send(&sender, value).await;
                }
            });
        }
        drop(sender);
        let total = sum.await.expect("the consumer reports its sum");
        assert_eq!(total, MESSAGES * (MESSAGES - 1) / 2);
    }
}

/// 1,000 tasks, 10 permits, each task takes a permit 100 times.
struct SemaphoreCase;

impl SyncCase for SemaphoreCase {
    const NAME: &'static str = "semaphore";

    async fn body<K: Kit>() {
        let semaphore = Arc::new(K::semaphore(PERMITS));
        let (countdown, all_done) = Countdown::new(SEMAPHORE_TASKS);
        for _ in 0..SEMAPHORE_TASKS {
            let semaphore = Arc::clone(&semaphore);
            let countdown = Arc::clone(&countdown);
            K::spawn_detached(async move {
                for _ in 0..ACQUIRES_PER_TASK {
                    K::hold_permit(&semaphore).await;
                }
                countdown.count_down();
            });
        }
        expect_completion(all_done, Self::NAME).await;
    }
}

/// 1,000 tasks each lock one counter 1,000 times.
struct MutexCase;

impl SyncCase for MutexCase {
    const NAME: &'static str = "mutex";

    async fn body<K: Kit>() {
        let mutex = Arc::new(K::mutex());
        let (countdown, all_done) = Countdown::new(MUTEX_TASKS);
        for _ in 0..MUTEX_TASKS {
            let mutex = Arc::clone(&mutex);
            let countdown = Arc::clone(&countdown);
            K::spawn_detached(async move {
                for _ in 0..LOCKS_PER_TASK {
                    K::increment(&mutex).await;
                }
                countdown.count_down();
            });
        }
        expect_completion(all_done, Self::NAME).await;
        assert_eq!(K::total(&mutex), (MUTEX_TASKS * LOCKS_PER_TASK) as u64);
    }
}
