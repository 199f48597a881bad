//! `select!`, `join!` and `try_join!` from a crate that depends on deli
//! alone: which branch wins, fairness and `biased;`, patterns that do not
//! match, preconditions, `else`, and that losers are dropped.

use std::future::{pending, ready};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counts its drops, to see that `select!` drops the futures it did not pick.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[deli::test]
async fn the_first_ready_branch_wins_and_the_rest_are_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(drops.clone());
    let loser = async move {
        let _guard = guard;
        pending::<u32>().await
    };
    let (tx, mut rx) = deli::sync::mpsc::channel::<u32>(1);
    let sender = deli::spawn(async move {
        deli::sleep(Duration::from_millis(5)).await;
        tx.send(3).await.unwrap();
    });
    let got = deli::select! {
        n = loser => n,
        Some(n) = rx.recv() => n * 10,
    };
    assert_eq!(got, 30);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the losing future was dropped"
    );
    sender.await.unwrap();
}

#[deli::test]
async fn fair_by_default_biased_in_order() {
    let mut firsts = [0u32; 2];
    for _ in 0..400 {
        let i = deli::select! {
            a = ready(0usize) => a,
            b = ready(1usize) => b,
        };
        firsts[i] += 1;
    }
    // With a random start each branch wins about half the time; 400 coin
    // flips give fewer than 100 of one kind with probability below 1e-20.
    assert!(firsts[0] > 100 && firsts[1] > 100, "{firsts:?}");

    for _ in 0..50 {
        let i = deli::select! {
            biased;
            a = ready(0usize) => a,
            b = ready(1usize) => b,
        };
        assert_eq!(i, 0, "biased polls in the order written");
    }
}

#[deli::test]
async fn a_pattern_that_does_not_match_disables_only_its_branch() {
    let (tx, mut rx) = deli::sync::mpsc::channel::<u8>(1);
    drop(tx); // recv now fails at once
    let later = async {
        deli::sleep(Duration::from_millis(2)).await;
        5u8
    };
    let got = deli::select! {
        biased;
        Some(v) = rx.recv() => v,
        v = later => v + 1,
    };
    assert_eq!(got, 6);
}

#[deli::test]
async fn preconditions_and_else() {
    let enabled = false;
    let got = deli::select! {
        v = ready(1), if enabled => v,
        Some(v) = ready(None::<i32>) => v,
        else => -1,
    };
    assert_eq!(got, -1);

    // A disabled branch's future is created but never polled.
    let polled = Arc::new(AtomicUsize::new(0));
    let counter = polled.clone();
    let watched = std::future::poll_fn(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        std::task::Poll::Ready(0)
    });
    let got = deli::select! {
        v = watched, if enabled => v,
        v = ready(2) => v,
    };
    assert_eq!(got, 2);
    assert_eq!(polled.load(Ordering::SeqCst), 0);
}

#[deli::test]
async fn bindings_by_move_and_handlers_that_return() {
    async fn first_word(text: Option<String>) -> Result<usize, String> {
        let len = deli::select! {
            Some(mut s) = ready(text) => {
                s.push('!');
                s.len()
            }
            else => return Err("nothing".to_owned()),
        };
        Ok(len)
    }
    assert_eq!(first_word(Some("hi".to_owned())).await, Ok(3));
    assert_eq!(first_word(None).await, Err("nothing".to_owned()));
}

#[deli::test]
#[should_panic(expected = "every branch is disabled")]
async fn no_branch_left_and_no_else_panics() {
    let _: u8 = deli::select! {
        Some(v) = ready(None::<u8>) => v,
    };
}

#[deli::test]
async fn select_in_a_loop_keeps_a_timer_across_iterations() {
    let (tx, mut rx) = deli::sync::mpsc::channel::<u32>(8);
    for n in 0..3 {
        tx.send(n).await.unwrap();
    }
    let mut deadline = std::pin::pin!(deli::sleep(Duration::from_millis(30)));
    let mut seen = Vec::new();
    loop {
        deli::select! {
            biased;
            Some(n) = rx.recv() => seen.push(n),
            _ = &mut deadline => break,
        }
    }
    assert_eq!(seen, [0, 1, 2]);
}

#[deli::test]
async fn join_waits_for_all_concurrently() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = |n: u32, ms: u64| {
        let order = order.clone();
        async move {
            deli::sleep(Duration::from_millis(ms)).await;
            order.lock().unwrap().push(n);
            n
        }
    };
    let (a, b, c) = deli::join!(log(1, 30), log(2, 1), async { "three" });
    assert_eq!((a, b, c), (1, 2, "three"));
    // The short sleep finished first: the futures ran at the same time.
    assert_eq!(*order.lock().unwrap(), [2, 1]);
    let (single,) = deli::join!(ready(7));
    assert_eq!(single, 7);
}

#[deli::test]
async fn try_join_short_circuits_and_drops_the_rest() {
    let drops = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(drops.clone());
    let slow = async move {
        let _guard = guard;
        deli::sleep(Duration::from_secs(3600)).await;
        Ok::<u8, String>(1)
    };
    let failing = async {
        deli::sleep(Duration::from_millis(2)).await;
        Err::<u8, String>("broken".to_owned())
    };
    let result = deli::time::timeout(Duration::from_secs(30), async {
        deli::try_join!(slow, failing)
    })
    .await
    .expect("try_join! returned on the error, not after an hour");
    assert_eq!(result, Err("broken".to_owned()));
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    let ok: Result<(u8, &str), String> = deli::try_join!(async { Ok(1) }, async { Ok("x") });
    assert_eq!(ok, Ok((1, "x")));
}
