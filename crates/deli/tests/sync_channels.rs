//! Every channel kind: closing or dropping the other side ends waits with a
//! typed error, from async and blocking callers alike; broadcast lag;
//! watch sees the latest value.

mod common;

use std::time::Duration;

use common::{runtimes, within, BOUND};
use deli::sync::{broadcast, mpsc, oneshot, watch, RecvError, RecvTimeoutError, TryRecvError};

const SETTLE: Duration = Duration::from_millis(20);

#[test]
fn mpsc_receiver_gone_fails_waiting_and_later_sends() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let (sender, receiver) = mpsc::channel::<u32>(1);
            sender.try_send(0).unwrap();
            let blocked = {
                let sender = sender.clone();
                std::thread::spawn(move || sender.send_blocking(1).map_err(|e| e.into_inner()))
            };
            let outcome = runtime.block_on(async {
                let task = {
                    let sender = sender.clone();
                    deli::spawn(async move { sender.send(2).await.map_err(|e| e.into_inner()) })
                };
                deli::sleep(SETTLE).await;
                drop(receiver);
                task.await.unwrap()
            });
            assert_eq!(outcome, Err(2), "{flavour}");
            assert_eq!(blocked.join().unwrap(), Err(1), "{flavour}");
            assert!(sender.is_closed());
            assert!(sender.try_send(3).is_err());
        }
    });
}

#[test]
fn mpsc_senders_gone_drain_then_fail_the_receiver() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            for bounded in [true, false] {
                // The receiver waits on a plain thread, then in a task.
                for on_a_thread in [true, false] {
                    let (sender, mut receiver) = if bounded {
                        mpsc::channel::<u32>(4)
                    } else {
                        mpsc::unbounded()
                    };
                    let case = format!("{flavour}, bounded={bounded}, thread={on_a_thread}");
                    let (got, ended, mut receiver) = runtime.block_on(async move {
                        let waiting = if on_a_thread {
                            Err(std::thread::spawn(move || {
                                let mut got = Vec::new();
                                loop {
                                    match receiver.recv_blocking() {
                                        Some(value) => got.push(value),
                                        None => return (got, None::<u32>, receiver),
                                    }
                                }
                            }))
                        } else {
                            Ok(deli::spawn(async move {
                                let mut got = Vec::new();
                                loop {
                                    match receiver.recv().await {
                                        Some(value) => got.push(value),
                                        None => return (got, None::<u32>, receiver),
                                    }
                                }
                            }))
                        };
                        deli::sleep(SETTLE).await;
                        sender.send(7).await.unwrap();
                        let second = sender.clone();
                        drop(sender);
                        second.send(8).await.unwrap();
                        drop(second);
                        match waiting {
                            Ok(task) => task.await.unwrap(),
                            Err(thread) => thread.join().unwrap(),
                        }
                    });
                    assert_eq!(ended, None, "{case}");
                    assert_eq!(got, [7, 8], "{case}");
                    assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
                    assert_eq!(receiver.recv_blocking(), None);
                    assert_eq!(
                        receiver.recv_blocking_timeout(BOUND),
                        Err(RecvTimeoutError::Closed),
                        "{case}"
                    );
                }
            }
        }
    });
}

#[test]
fn mpsc_close_from_either_side() {
    let (sender, receiver) = mpsc::channel(4);
    sender.try_send(1).unwrap();
    assert!(receiver.close());
    assert!(!sender.close(), "already closed");
    assert!(sender.try_send(2).is_err());
    assert_eq!(receiver.try_recv(), Ok(1));
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn mpsc_many_producers_one_consumer_in_order_per_producer() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let (sender, mut receiver) = mpsc::channel::<(u32, u32)>(8);
        let threads: Vec<_> = (0..2)
            .map(|id| {
                let sender = sender.clone();
                std::thread::spawn(move || {
                    for n in 0..2_000 {
                        sender.send_blocking((id, n)).unwrap();
                    }
                })
            })
            .collect();
        let next = runtime.block_on(async move {
            for id in 2..4 {
                let sender = sender.clone();
                deli::spawn(async move {
                    for n in 0..2_000 {
                        sender.send((id, n)).await.unwrap();
                    }
                });
            }
            drop(sender);
            let mut next = [0u32; 4];
            while let Some((id, n)) = receiver.recv().await {
                assert_eq!(n, next[id as usize], "FIFO per producer");
                next[id as usize] += 1;
            }
            next
        });
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(next, [2_000; 4]);
    });
}

#[test]
fn oneshot_sender_gone_or_receiver_gone() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            // Sender dropped unsent: the awaiting receiver fails.
            let (sender, receiver) = oneshot::channel::<u8>();
            let result = runtime.block_on(async {
                let task = deli::spawn(receiver);
                deli::sleep(SETTLE).await;
                drop(sender);
                task.await.unwrap()
            });
            assert_eq!(result, Err(RecvError), "{flavour}");

            // Same from a blocked thread.
            let (sender, receiver) = oneshot::channel::<u8>();
            let blocked = std::thread::spawn(move || receiver.recv_blocking());
            std::thread::sleep(SETTLE);
            drop(sender);
            assert_eq!(blocked.join().unwrap(), Err(RecvError));

            // Receiver dropped: the send hands the value back.
            let (sender, receiver) = oneshot::channel();
            drop(receiver);
            assert!(sender.is_closed());
            assert_eq!(sender.send(5).unwrap_err().into_inner(), 5);

            // A value sent from a thread reaches an awaiting task.
            let (sender, receiver) = oneshot::channel();
            let got = runtime.block_on(async {
                std::thread::spawn(move || sender.send("hello").unwrap());
                receiver.await
            });
            assert_eq!(got, Ok("hello"));
        }
    });
}

#[test]
fn oneshot_timeout_keeps_the_receiver_usable() {
    within(BOUND, || {
        let (sender, mut receiver) = oneshot::channel();
        assert_eq!(
            receiver.recv_blocking_timeout(Duration::from_millis(5)),
            Err(RecvTimeoutError::Timeout)
        );
        deli::run(async {
            assert!(deli::timeout(Duration::from_millis(5), &mut receiver)
                .await
                .is_err());
        });
        sender.send(1).unwrap();
        assert_eq!(receiver.try_recv(), Ok(1));
    });
}

#[test]
fn broadcast_every_receiver_sees_every_value() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let (sender, receiver) = broadcast::channel::<u32>(1_024);
        let receivers: Vec<_> = (0..3)
            .map(|_| sender.subscribe())
            .chain([receiver])
            .collect();
        let sums = runtime.block_on(async move {
            let tasks: Vec<_> = receivers
                .into_iter()
                .map(|mut receiver| {
                    deli::spawn(async move {
                        let mut sum = 0u64;
                        loop {
                            match receiver.recv().await {
                                Ok(value) => sum += u64::from(value),
                                Err(broadcast::RecvError::Closed) => return sum,
                                Err(lag) => panic!("no receiver should lag here: {lag}"),
                            }
                        }
                    })
                })
                .collect();
            for n in 0..1_000 {
                sender.send(n).unwrap();
            }
            drop(sender);
            let mut sums = Vec::new();
            for task in tasks {
                sums.push(task.await.unwrap());
            }
            sums
        });
        assert_eq!(sums, [499_500; 4]);
    });
}

#[test]
fn broadcast_lagging_receiver_is_told_how_much_it_missed() {
    let (sender, mut slow) = broadcast::channel(4);
    let mut fast = sender.subscribe();
    for n in 0..10 {
        sender.send(n).unwrap();
        assert_eq!(fast.try_recv(), Ok(n));
    }
    assert_eq!(slow.try_recv(), Err(broadcast::TryRecvError::Lagged(6)));
    // Then it goes on from the oldest value still held.
    let rest: Vec<_> = std::iter::from_fn(|| slow.try_recv().ok()).collect();
    assert_eq!(rest, [6, 7, 8, 9]);

    for n in 10..20 {
        sender.send(n).unwrap();
    }
    assert_eq!(slow.recv_blocking(), Err(broadcast::RecvError::Lagged(6)));
    assert_eq!(slow.recv_blocking(), Ok(16));
    assert_eq!(
        slow.recv_blocking_timeout(Duration::from_secs(1)),
        Ok(17),
        "timeout form after a lag"
    );
    let lagged = deli::run(async move {
        for n in 20..30 {
            sender.send(n).unwrap();
        }
        fast.recv().await
    });
    // `fast` read nothing after 9: 10..=25 were pushed out by 26..=29.
    assert_eq!(lagged, Err(broadcast::RecvError::Lagged(16)));
}

#[test]
fn broadcast_senders_gone_or_receivers_gone() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let (sender, mut receiver) = broadcast::channel::<u8>(4);
            let mut blocked_receiver = sender.subscribe();
            let blocked = std::thread::spawn(move || blocked_receiver.recv_blocking());
            let result = runtime.block_on(async {
                let task = deli::spawn(async move { receiver.recv().await });
                deli::sleep(SETTLE).await;
                drop(sender);
                task.await.unwrap()
            });
            assert_eq!(result, Err(broadcast::RecvError::Closed), "{flavour}");
            assert_eq!(blocked.join().unwrap(), Err(broadcast::RecvError::Closed));

            let (sender, receiver) = broadcast::channel(4);
            drop(receiver);
            assert_eq!(sender.receiver_count(), 0);
            assert_eq!(sender.send(1).unwrap_err().into_inner(), 1);
            // A new subscriber opens it again.
            let mut late = sender.subscribe();
            sender.send(2).unwrap();
            assert_eq!(late.try_recv(), Ok(2));
        }
    });
}

#[test]
fn watch_receivers_see_the_latest_value() {
    within(BOUND, || {
        let runtime = deli::Runtime::builder().workers(2).build().unwrap();
        let (sender, receiver) = watch::channel(0u32);
        let mut thread_receiver = receiver.clone();
        let thread = std::thread::spawn(move || {
            let mut last = 0;
            while thread_receiver.changed_blocking().is_ok() {
                let now = *thread_receiver.borrow();
                assert!(now >= last, "values only move forward");
                last = now;
            }
            (last, *thread_receiver.borrow())
        });
        let (task_last, final_value) = runtime.block_on(async move {
            let mut task_receiver = receiver;
            let task = deli::spawn(async move {
                let mut last = 0;
                while task_receiver.changed().await.is_ok() {
                    let now = *task_receiver.borrow_and_update();
                    assert!(now >= last);
                    last = now;
                }
                last
            });
            for n in 1..=1_000 {
                sender.send(n).unwrap();
                if n % 100 == 0 {
                    deli::yield_now().await;
                }
            }
            let final_value = *sender.borrow();
            drop(sender);
            (task.await.unwrap(), final_value)
        });
        assert_eq!(final_value, 1_000);
        assert_eq!(
            task_last, 1_000,
            "the task saw the latest value before the close"
        );
        let (thread_last, readable) = thread.join().unwrap();
        assert_eq!(thread_last, 1_000);
        assert_eq!(
            readable, 1_000,
            "the last value stays readable after the close"
        );
    });
}

#[test]
fn watch_skips_intermediate_values_and_reports_changes_once() {
    let (sender, mut receiver) = watch::channel("a");
    sender.send("b").unwrap();
    sender.send("c").unwrap();
    assert_eq!(receiver.has_changed(), Ok(true));
    receiver.changed_blocking().unwrap();
    assert_eq!(*receiver.borrow(), "c");
    assert_eq!(receiver.has_changed(), Ok(false));
    assert_eq!(
        receiver.changed_blocking_timeout(Duration::from_millis(5)),
        Err(RecvTimeoutError::Timeout)
    );
    drop(receiver);
    assert!(sender.is_closed());
    assert_eq!(sender.send("d").unwrap_err().into_inner(), "d");
}

#[test]
fn watch_sender_gone_ends_waits() {
    within(BOUND, || {
        for (flavour, runtime) in runtimes() {
            let (sender, receiver) = watch::channel(1);
            let mut blocked_receiver = receiver.clone();
            let blocked = std::thread::spawn(move || blocked_receiver.changed_blocking());
            let result = runtime.block_on(async {
                let mut receiver = receiver;
                let task = deli::spawn(async move { receiver.changed().await });
                deli::sleep(SETTLE).await;
                drop(sender);
                task.await.unwrap()
            });
            assert_eq!(result, Err(RecvError), "{flavour}");
            assert_eq!(blocked.join().unwrap(), Err(RecvError), "{flavour}");
        }
    });
}
