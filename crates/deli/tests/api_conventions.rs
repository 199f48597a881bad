//! Issue 19's API conventions, one test per point: the two timeouts told
//! apart, panics and scope errors that keep their type, `mpsc` and `Queue`
//! capacities, a spawn outside a runtime that is heard, one naming rule for
//! blocking forms, symmetric pools, a `read_exact` that agrees with
//! tokio's, and an HTTP server whose `bind` does not resolve on the caller.

mod common;

use std::io;
use std::time::Duration;

use common::{within, BOUND};
use deli::sync::{mpsc, Event, Mutex, Queue, Semaphore};
use deli::{JobError, Panic, ThreadPool};

/// A panic payload that is not a string: only a kept payload can give it back.
#[derive(Debug, PartialEq)]
struct Code(u32);

#[test]
fn a_wait_that_gives_up_is_not_the_jobs_timeout() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(1).build().unwrap();
        let mut ticket = runtime.spawn(async {
            deli::sleep(Duration::from_millis(50)).await;
            7
        });
        // The wait gives up; the job is untouched and can be waited on again.
        let early = ticket.wait_blocking_timeout(Duration::from_millis(1));
        assert_eq!(early, Err(JobError::WaitTimedOut));
        assert_ne!(JobError::WaitTimedOut, JobError::TimedOut);
        assert!(JobError::WaitTimedOut.to_string().contains("still running"));
        assert_eq!(ticket.wait_blocking_timeout(BOUND), Ok(7));
    });
}

#[test]
fn a_panic_keeps_its_payload_and_can_be_resumed() {
    within(BOUND, || {
        let error =
            deli::run(async { deli::spawn(async { std::panic::panic_any(Code(7)) }).await })
                .unwrap_err();
        assert!(error.is_panic());
        let payload = error.clone().try_into_panic().unwrap();
        assert_eq!(payload.downcast_ref::<Code>(), Some(&Code(7)));

        // The same from a thread-pool job, resumed on this thread.
        let pool = ThreadPool::new(1).unwrap();
        let n = std::hint::black_box(1);
        let failed = pool
            .submit(move || -> u8 { panic!("pool {n}") })
            .wait_blocking();
        let Err(JobError::Panicked(panic)) = failed else {
            panic!("expected a panic, got {failed:?}")
        };
        assert_eq!(panic.message(), "pool 1");
        assert_eq!(panic, Panic::from_message("pool 1"));
        let resumed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| panic.resume()));
        let payload = resumed.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("pool 1")
        );
    });
}

#[test]
fn a_scope_childs_error_reaches_its_ticket_typed() {
    within(BOUND, || {
        let outcome = deli::run(deli::scope(|s| async move {
            let ticket =
                s.spawn(async { Err::<(), _>(io::Error::new(io::ErrorKind::NotFound, "gone")) });
            match ticket.await {
                Err(JobError::Failed(failure)) => {
                    let error = failure.downcast_ref::<io::Error>().expect("an io::Error");
                    assert_eq!(error.kind(), io::ErrorKind::NotFound);
                    assert_eq!(failure.to_string(), "gone");
                }
                other => panic!("expected the child's own error, got {other:?}"),
            }
        }));
        // The scope's error holds the same error, typed too.
        let error = outcome.unwrap_err();
        let cause = error.first().unwrap().error();
        assert_eq!(
            cause.downcast_ref::<io::Error>().map(io::Error::kind),
            Some(io::ErrorKind::NotFound)
        );
    });
}

#[test]
fn mpsc_recv_ends_a_while_let_loop() {
    within(BOUND, || {
        let total = deli::run(async {
            let (sender, mut receiver) = mpsc::channel(2);
            deli::spawn(async move {
                for n in 1..=4u32 {
                    sender.send(n).await.unwrap();
                }
            });
            let mut total = 0;
            while let Some(n) = receiver.recv().await {
                total += n;
            }
            assert_eq!(receiver.recv().await, None);
            total
        });
        assert_eq!(total, 10);

        let (sender, mut receiver) = mpsc::unbounded::<u8>();
        drop(sender);
        assert_eq!(receiver.recv_blocking(), None);
    });
}

#[test]
fn channel_capacities_follow_a_stated_rule() {
    // mpsc: 0 is refused by `try_channel`, and taken as 1 by `channel`.
    assert_eq!(
        mpsc::try_channel::<u8>(0).unwrap_err(),
        mpsc::ZeroCapacityError
    );
    let (sender, receiver) = mpsc::channel::<u8>(0);
    sender.try_send(1).unwrap();
    assert!(sender.try_send(2).is_err());
    assert_eq!(receiver.try_recv(), Ok(1));

    // Queue: 0 is unbounded, as in Python.
    let queue = Queue::new(0);
    for n in 0..1_000 {
        queue.try_put(n).unwrap();
    }
    assert_eq!(queue.len(), 1_000);
}

#[test]
fn a_spawn_outside_a_runtime_is_heard() {
    let future = match deli::try_spawn(async { 6 * 7 }) {
        Ok(_) => panic!("there is no runtime on this thread"),
        Err(error) => {
            assert_eq!(
                JobError::from(deli::try_spawn(async {}).unwrap_err()),
                JobError::NoRuntime
            );
            error.into_future()
        }
    };
    assert_eq!(deli::run(future), 42);
    // `spawn` keeps its ticket, which says why nothing ran.
    assert_eq!(
        deli::spawn(async {}).wait_blocking(),
        Err(JobError::NoRuntime)
    );
    deli::run(async {
        assert_eq!(deli::try_spawn(async { 1 }).unwrap().await, Ok(1));
    });
}

#[test]
fn blocking_forms_end_in_blocking() {
    within(BOUND, || {
        let short = Duration::from_millis(5);
        let mutex = Mutex::new(0);
        let held = mutex.lock_blocking();
        assert!(mutex.lock_blocking_timeout(short).is_none());
        drop(held);
        assert!(mutex.lock_blocking_timeout(short).is_some());

        let event = Event::new();
        assert!(!event.wait_blocking_timeout(short));
        event.set();
        assert!(event.wait_blocking_timeout(short));

        let semaphore = Semaphore::new(0);
        assert!(semaphore.acquire_blocking_timeout(short).is_err());

        let pool = ThreadPool::new(1).unwrap();
        assert_eq!(pool.submit(|| 1).wait_blocking(), Ok(1));
        let (done, pending) =
            deli::wait_blocking(vec![pool.submit(|| 2)], deli::Return::AllCompleted);
        assert_eq!((done, pending.len()), (vec![(0, Ok(2))], 0));
        let (done, _) =
            deli::wait_blocking_timeout(vec![pool.submit(|| 3)], deli::Return::AllCompleted, BOUND);
        assert_eq!(done, vec![(0, Ok(3))]);

        // The old names still work for one release.
        #[allow(deprecated)]
        {
            assert!(mutex.lock_timeout(short).is_some());
            assert_eq!(pool.submit(|| 4).wait(), Ok(4));
        }
    });
}

#[test]
fn pools_refuse_zero_workers_alike() {
    assert!(matches!(
        ThreadPool::new(0),
        Err(deli::pool::ThreadPoolError::NoWorkers)
    ));
    // Checked before anything else, so no `process::init` is needed here.
    assert!(matches!(
        deli::ProcessPool::new(0),
        Err(deli::process::ProcessError::NoWorkers)
    ));
    // A pool's shutdown takes (wait, cancel_pending) and `&self` on both.
    let threads = ThreadPool::new(1).unwrap();
    let shutdown: fn(&ThreadPool, bool, bool) = ThreadPool::shutdown;
    shutdown(&threads, true, true);
    let _: fn(&deli::ProcessPool, bool, bool) = deli::ProcessPool::shutdown;
}

#[test]
fn read_exact_returns_the_count_as_tokios_does() {
    within(BOUND, || {
        deli::run(async {
            let listener = deli::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = deli::net::TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            server.write_all(b"abcdef").await.unwrap();
            let mut buf = [0; 3];
            let read: usize = client.read_exact(&mut buf).await.unwrap();
            assert_eq!((read, &buf), (3, b"abc"));
            let (mut reader, _writer) = client.into_split();
            let read: usize = reader.read_exact(&mut buf).await.unwrap();
            assert_eq!((read, &buf), (3, b"def"));
        });
    });
}

/// `Server::bind` takes deli's own address forms, which it resolves off
/// the calling thread (a name is looked up in `serve`, on the blocking
/// pool): it no longer needs `std::net::ToSocketAddrs`, which resolves
/// where it is called.
#[cfg(feature = "http")]
#[test]
fn an_http_server_resolves_its_name_in_serve() {
    fn server_for<A: deli::net::ToSocketAddrs>(addr: A) -> deli::http::Server {
        deli::http::Server::bind(addr)
    }
    within(BOUND, || {
        deli::run(async {
            let server = server_for(("localhost", 0))
                .serve(|_request: deli::http::Request| async { "hi" })
                .await
                .unwrap();
            assert!(server.local_addr().ip().is_loopback());
        });
    });
}
