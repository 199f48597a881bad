//! Unit tests of the local run queue: owner and stealer operations, overflow
//! and drop, with real threads.

use super::*;
use crate::poison::IgnorePoison;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize};
use std::sync::{Barrier, Mutex};

/// An overflow sink that keeps what it is given, in order.
struct Sink<T>(Mutex<Vec<T>>);

impl<T> Sink<T> {
    fn new() -> Self {
        Sink(Mutex::new(Vec::new()))
    }

    fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.0.lock().ignore_poison())
    }
}

impl<T> Overflow<T> for Sink<T> {
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = T>) {
        self.0.lock().ignore_poison().extend(tasks);
    }
}

/// For tests that must never overflow.
struct NoOverflow;

impl<T> Overflow<T> for NoOverflow {
    fn push_batch(&self, _: &mut dyn Iterator<Item = T>) {
        panic!("this test must not overflow");
    }
}

/// Counts its own drops into a shared counter.
struct Counted(std::sync::Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn drain<T>(queue: &mut Local<T>) -> Vec<T> {
    iter::from_fn(|| queue.pop()).collect()
}

const CAP: usize = LOCAL_QUEUE_CAPACITY;

#[test]
fn owner_handle_is_send_and_steal_handle_is_send_sync_clone() {
    fn send<T: Send>() {}
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    send::<Local<Box<u8>>>();
    send_sync_clone::<Steal<Box<u8>>>();
}

#[test]
fn pop_returns_tasks_in_push_order() {
    let (mut queue, _) = local();
    assert_eq!(queue.pop(), None);
    for i in 0..CAP {
        queue.push_back(i, &NoOverflow);
    }
    assert_eq!(drain(&mut queue), (0..CAP).collect::<Vec<_>>());
    assert_eq!(queue.pop(), None);
}

#[test]
fn interleaved_pushes_and_pops_stay_fifo_over_many_laps() {
    let (mut queue, _) = local();
    let mut expected = 0;
    for i in 0..CAP * 10 {
        queue.push_back(i, &NoOverflow);
        queue.push_back(i + 1_000_000, &NoOverflow);
        let popped = queue.pop().unwrap();
        if popped < 1_000_000 {
            assert_eq!(popped, expected);
            expected += 1;
        }
        // Keep only a few tasks queued, so the ring goes round many times.
        while queue.len() > CAP / 4 {
            queue.pop();
        }
    }
}

#[test]
fn indices_cross_the_u32_wrap() {
    let (mut queue, steal) = local_starting_at(u32::MAX - 5);
    let (mut dst, _) = local();
    for i in 0..10 {
        queue.push_back(i, &NoOverflow);
    }
    assert_eq!(queue.len(), 10);
    assert_eq!(queue.pop(), Some(0));
    assert_eq!(steal.steal_into(&mut dst), Some(5));
    assert_eq!(drain(&mut dst), vec![1, 2, 3, 4]);
    assert_eq!(drain(&mut queue), vec![6, 7, 8, 9]);
    assert!(queue.is_empty() && steal.is_empty());
}

#[test]
fn length_and_room_follow_pushes_and_pops() {
    let (mut queue, steal) = local();
    assert!(queue.is_empty() && steal.is_empty() && queue.has_room());
    for i in 0..CAP {
        assert!(queue.has_room());
        queue.push_back(i, &NoOverflow);
        assert_eq!((queue.len(), steal.len()), (i + 1, i + 1));
    }
    assert!(!queue.has_room() && !queue.is_empty() && !steal.is_empty());
    queue.pop();
    assert!(queue.has_room());
    assert_eq!(queue.len(), CAP - 1);
}

#[test]
fn full_queue_moves_older_half_and_new_task_to_overflow() {
    let (mut queue, _) = local();
    let sink = Sink::new();
    for i in 0..CAP {
        queue.push_back(i, &sink);
    }
    assert!(sink.take().is_empty());
    queue.push_back(CAP, &sink);
    let spilled = sink.take();
    let expected: Vec<_> = (0..CAP / 2).chain([CAP]).collect();
    assert_eq!(spilled, expected);
    assert_eq!(queue.len(), CAP / 2);
    assert_eq!(drain(&mut queue), (CAP / 2..CAP).collect::<Vec<_>>());
}

#[test]
fn repeated_overflow_loses_and_duplicates_nothing() {
    let (mut queue, _) = local();
    let sink = Sink::new();
    let total = CAP * 5 + 3;
    for i in 0..total {
        queue.push_back(i, &sink);
    }
    let mut seen = sink.take();
    assert_eq!(seen.len() + queue.len(), total);
    seen.extend(drain(&mut queue));
    seen.sort_unstable();
    assert_eq!(seen, (0..total).collect::<Vec<_>>());
}

#[test]
fn push_during_a_steal_in_flight_spills_only_the_new_task() {
    let (mut queue, steal) = local();
    let (mut dst, _) = local();
    let sink = Sink::new();
    for i in 0..CAP {
        queue.push_back(i, &sink);
    }
    let claim = steal.claim(CAP as u32).unwrap();
    assert_eq!(claim.count as usize, CAP / 2);
    // The claimed slots are not free yet, so the ring is still full.
    assert!(!queue.has_room());
    queue.push_back(CAP, &sink);
    assert_eq!(sink.take(), vec![CAP]);
    // A second stealer backs off instead of waiting.
    assert!(steal.claim(CAP as u32).is_none());
    // The owner still pops what was not claimed.
    assert_eq!(queue.pop(), Some(CAP / 2));

    assert_eq!(steal.finish_steal(claim, &mut dst), CAP / 2 - 1);
    assert_eq!(drain(&mut dst), (0..CAP / 2 - 1).collect::<Vec<_>>());
    assert!(queue.has_room());
    queue.push_back(CAP + 1, &sink);
    assert!(sink.take().is_empty());
    let rest: Vec<_> = (CAP / 2 + 1..CAP).chain([CAP + 1]).collect();
    assert_eq!(drain(&mut queue), rest);
}

#[test]
fn steal_takes_half_rounded_up_and_returns_the_newest_of_them() {
    for (queued, taken) in [(1, 1), (2, 1), (7, 4), (10, 5), (CAP, CAP / 2)] {
        let (mut queue, steal) = local();
        let (mut dst, _) = local();
        for i in 0..queued {
            queue.push_back(i, &NoOverflow);
        }
        assert_eq!(steal.steal_into(&mut dst), Some(taken - 1));
        assert_eq!(drain(&mut dst), (0..taken - 1).collect::<Vec<_>>());
        assert_eq!(drain(&mut queue), (taken..queued).collect::<Vec<_>>());
    }
}

#[test]
fn steal_appends_after_tasks_already_in_destination() {
    let (mut queue, steal) = local();
    let (mut dst, _) = local();
    dst.push_back(100, &NoOverflow);
    for i in 0..6 {
        queue.push_back(i, &NoOverflow);
    }
    assert_eq!(steal.steal_into(&mut dst), Some(2));
    assert_eq!(drain(&mut dst), vec![100, 0, 1]);
}

#[test]
fn steal_from_empty_or_own_queue_returns_none() {
    let (mut queue, steal) = local::<usize>();
    let (mut dst, _) = local();
    assert_eq!(steal.steal_into(&mut dst), None);
    queue.push_back(1, &NoOverflow);
    assert_eq!(steal.steal_into(&mut queue), None);
    assert_eq!(queue.len(), 1);
    assert!(dst.is_empty());
}

#[test]
fn steal_moves_no_more_than_the_destination_has_room_for() {
    let (mut queue, steal) = local();
    let (mut dst, _) = local();
    for i in 0..CAP - 1 {
        dst.push_back(1_000 + i, &NoOverflow);
    }
    for i in 0..10 {
        queue.push_back(i, &NoOverflow);
    }
    // One free slot in `dst`, plus the task handed back.
    assert_eq!(steal.steal_into(&mut dst), Some(1));
    assert!(!dst.has_room());
    // No free slot: only the task handed back moves.
    assert_eq!(steal.steal_into(&mut dst), Some(2));
    assert_eq!(dst.len(), CAP);
    assert_eq!(drain(&mut queue), (3..10).collect::<Vec<_>>());
    assert_eq!(dst.pop(), Some(1_000));
}

#[test]
fn dropping_a_queue_drops_every_remaining_task() {
    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    let (mut queue, steal) = local();
    let (mut dst, _) = local();
    for _ in 0..100 {
        queue.push_back(Counted(drops.clone()), &NoOverflow);
    }
    for _ in 0..10 {
        drop(queue.pop());
    }
    assert_eq!(drops.load(Ordering::Relaxed), 10);
    drop(steal.steal_into(&mut dst));
    assert_eq!(drops.load(Ordering::Relaxed), 11);
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), 11 + 45);
    // The steal handle outlives the owner and finds nothing.
    assert!(steal.is_empty());
    assert!(steal.steal_into(&mut dst).is_none());
    drop(steal);
    drop(dst);
    assert_eq!(drops.load(Ordering::Relaxed), 100);
}

#[test]
fn tasks_an_overflow_sink_leaves_behind_are_dropped() {
    struct TakesThree(Mutex<Vec<Counted>>);
    impl Overflow<Counted> for TakesThree {
        fn push_batch(&self, tasks: &mut dyn Iterator<Item = Counted>) {
            let mut kept = self.0.lock().ignore_poison();
            kept.extend(tasks.take(3));
        }
    }

    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    let sink = TakesThree(Mutex::new(Vec::new()));
    let (mut queue, _) = local();
    for _ in 0..=CAP {
        queue.push_back(Counted(drops.clone()), &sink);
    }
    assert_eq!(drops.load(Ordering::Relaxed), CAP / 2 + 1 - 3);
    drop(queue);
    drop(sink);
    assert_eq!(drops.load(Ordering::Relaxed), CAP + 1);
}

#[test]
fn overflow_sink_that_panics_leaks_nothing() {
    struct Panics;
    impl Overflow<Counted> for Panics {
        fn push_batch(&self, tasks: &mut dyn Iterator<Item = Counted>) {
            drop(tasks.next());
            panic!("sink failed");
        }
    }

    let drops = std::sync::Arc::new(AtomicUsize::new(0));
    let (mut queue, _) = local();
    for _ in 0..CAP {
        queue.push_back(Counted(drops.clone()), &Panics);
    }
    let extra = Counted(drops.clone());
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        queue.push_back(extra, &Panics);
    }));
    assert!(result.is_err());
    assert_eq!(drops.load(Ordering::Relaxed), CAP / 2 + 1);
    assert_eq!(queue.len(), CAP / 2);
    drop(queue);
    assert_eq!(drops.load(Ordering::Relaxed), CAP + 1);
}

#[test]
fn owner_and_two_stealers_see_every_task_exactly_once() {
    const TASKS: usize = if cfg!(miri) { 300 } else { 200_000 };
    const STEALERS: usize = 2;

    let seen: Vec<AtomicU8> = (0..TASKS).map(|_| AtomicU8::new(0)).collect();
    let record = |task: usize| {
        seen[task].fetch_add(1, Ordering::Relaxed);
    };
    let owner_done = AtomicBool::new(false);
    // Start everyone together, so the stealers race the owner from the first push.
    let start = Barrier::new(STEALERS + 1);
    let sink = Sink::new();
    let (mut queue, steal) = local();

    std::thread::scope(|scope| {
        for _ in 0..STEALERS {
            let steal = steal.clone();
            let (owner_done, start) = (&owner_done, &start);
            scope.spawn(move || {
                let (mut mine, _) = local();
                start.wait();
                loop {
                    if let Some(task) = steal.steal_into(&mut mine) {
                        record(task);
                        while let Some(task) = mine.pop() {
                            record(task);
                        }
                    } else if owner_done.load(Ordering::Acquire) && steal.is_empty() {
                        return;
                    } else {
                        std::thread::yield_now();
                    }
                }
            });
        }
        start.wait();
        // The owner pushes faster than it pops, so the ring fills up and
        // overflows while the stealers race it.
        for task in 0..TASKS {
            queue.push_back(task, &sink);
            if task % 3 == 0 {
                if let Some(task) = queue.pop() {
                    record(task);
                }
            }
        }
        while let Some(task) = queue.pop() {
            record(task);
        }
        owner_done.store(true, Ordering::Release);
    });

    for task in sink.take() {
        record(task);
    }
    let wrong: Vec<_> = (0..TASKS)
        .filter(|&task| seen[task].load(Ordering::Relaxed) != 1)
        .collect();
    assert!(wrong.is_empty(), "tasks not seen exactly once: {wrong:?}");
}
