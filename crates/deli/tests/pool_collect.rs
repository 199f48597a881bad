//! `as_completed` and `wait` over tickets from every executor.

mod common;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{within, Gate, BOUND};
use deli::{JobError, Return, ThreadPool, Ticket};
use futures_core::Stream;

/// A pool job that waits for its release, then returns `value`.
fn gated_job(pool: &ThreadPool, value: u32) -> (mpsc::Sender<()>, Ticket<u32>) {
    let (release, released) = mpsc::channel::<()>();
    let ticket = pool.submit(move || {
        let _ = released.recv_timeout(BOUND);
        value
    });
    (release, ticket)
}

#[test]
fn as_completed_yields_in_completion_order() {
    within(BOUND, || {
        let pool = ThreadPool::new(3).unwrap();
        let (releases, tickets): (Vec<_>, Vec<_>) =
            (0..3).map(|v| gated_job(&pool, v * 10)).unzip();
        let mut all = deli::as_completed(tickets);
        for index in [2, 0, 1] {
            releases[index].send(()).unwrap();
            assert_eq!(all.next(), Some((index, Ok(index as u32 * 10))));
        }
        assert_eq!(all.next(), None);
    });
}

/// What opens one ticket's gate.
type Release = Box<dyn FnOnce()>;

/// Executors for one ticket of each kind.
struct Mix {
    runtime: deli::Runtime,
    pool: ThreadPool,
}

impl Mix {
    fn new() -> Mix {
        Mix {
            runtime: deli::Runtime::builder().workers(1).build().unwrap(),
            pool: ThreadPool::new(1).unwrap(),
        }
    }

    /// (async, blocking, pool) tickets and their releases in that order.
    fn tickets(&self) -> (Vec<Ticket<u32>>, Vec<Release>) {
        let gate = Arc::new(Gate::default());
        let waiting = gate.wait();
        let async_ticket = self.runtime.spawn(async move {
            waiting.await;
            1
        });
        let (release_blocking, blocking_released) = mpsc::channel::<()>();
        let blocking_ticket = self.runtime.spawn_blocking(move || {
            let _ = blocking_released.recv_timeout(BOUND);
            2
        });
        let (release_pool, pool_ticket) = gated_job(&self.pool, 3);
        (
            vec![async_ticket, blocking_ticket, pool_ticket],
            vec![
                Box::new(move || gate.open()) as Release,
                Box::new(move || {
                    let _ = release_blocking.send(());
                }),
                Box::new(move || {
                    let _ = release_pool.send(());
                }),
            ],
        )
    }
}

#[test]
fn as_completed_mixes_async_blocking_and_pool_tickets() {
    within(BOUND, || {
        let mix = Mix::new();
        let (tickets, releases) = mix.tickets();
        let mut all = deli::as_completed(tickets);
        let mut releases: Vec<_> = releases.into_iter().map(Some).collect();
        for index in [1, 2, 0] {
            (releases[index].take().unwrap())();
            assert_eq!(all.next(), Some((index, Ok(index as u32 + 1))));
        }
        assert_eq!(all.next(), None);
    });
}

#[test]
fn as_completed_is_a_stream_in_async_code() {
    within(BOUND, || {
        let mix = Mix::new();
        let (tickets, releases) = mix.tickets();
        let runtime = deli::Runtime::builder().workers(1).build().unwrap();
        let order = runtime.block_on(async move {
            let mut stream = deli::as_completed(tickets);
            let mut releases: Vec<_> = releases.into_iter().map(Some).collect();
            let mut order = Vec::new();
            for index in [2, 0, 1] {
                (releases[index].take().unwrap())();
                let next = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await;
                order.push(next);
            }
            order
        });
        assert_eq!(
            order,
            [Some((2, Ok(3))), Some((0, Ok(1))), Some((1, Ok(2)))]
        );
    });
}

#[test]
fn wait_returns_on_the_first_completed_and_keeps_the_rest() {
    within(BOUND, || {
        let mix = Mix::new();
        let (tickets, releases) = mix.tickets();
        let mut releases: Vec<_> = releases.into_iter().map(Some).collect();
        (releases[2].take().unwrap())();
        let (done, pending) = deli::wait_blocking(tickets, Return::FirstCompleted);
        assert_eq!(done, [(2, Ok(3))]);
        assert_eq!(pending.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1]);

        let (still, not_yet) = deli::wait_blocking_timeout(
            pending.into_iter().map(|(_, t)| t),
            Return::AllCompleted,
            Duration::from_millis(20),
        );
        assert!(still.is_empty());
        assert_eq!(not_yet.len(), 2);

        for release in releases.iter_mut().filter_map(Option::take) {
            release();
        }
        let (done, pending) =
            deli::wait_blocking(not_yet.into_iter().map(|(_, t)| t), Return::AllCompleted);
        let mut values: Vec<_> = done.into_iter().map(|(_, r)| r.unwrap()).collect();
        values.sort();
        assert_eq!(values, [1, 2]);
        assert!(pending.is_empty());
    });
}

#[test]
fn wait_for_the_first_error_stops_there() {
    within(BOUND, || {
        let pool = ThreadPool::new(2).unwrap();
        let (release, slow) = gated_job(&pool, 7);
        let failing = pool.submit(|| -> u32 { panic!("bad") });
        let fine = pool.submit(|| 1);
        let (done, pending) = deli::wait_blocking(vec![slow, failing, fine], Return::FirstError);
        assert!(done.contains(&(1, Err(JobError::Panicked("bad".into())))));
        // The gated job is still pending; the fine one may or may not have
        // finished by the time the error was seen.
        assert_eq!(done.len() + pending.len(), 3);
        assert!(pending.iter().any(|(index, _)| *index == 0));
        let gated_position = pending.iter().position(|(index, _)| *index == 0).unwrap();
        drop(release);
        let (done, _) =
            deli::wait_blocking(pending.into_iter().map(|(_, t)| t), Return::AllCompleted);
        assert!(done.contains(&(gated_position, Ok(7))));
    });
}
