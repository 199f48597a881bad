//! Loom models of the local run queue.
//!
//! Every model checks that each task ends up in exactly one place: every
//! task is a `Tracked` value that records its id when dropped, and at the
//! end of the model each id must have been recorded once (a lost task
//! would be missing; a duplicated one, recorded twice).

use super::*;
use crate::poison::IgnorePoison;
use loom::thread;
use std::cell::RefCell;
use std::sync::Mutex;

type Log = std::sync::Arc<Mutex<Vec<usize>>>;

struct Tracked {
    id: usize,
    log: Log,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.log.lock().ignore_poison().push(self.id);
    }
}

/// Keeps overflowed tasks until the model ends (owner thread only).
#[derive(Default)]
struct Sink(RefCell<Vec<Tracked>>);

impl Overflow<Tracked> for Sink {
    fn push_batch(&self, tasks: &mut dyn Iterator<Item = Tracked>) {
        self.0.borrow_mut().extend(tasks);
    }
}

fn task(id: usize, log: &Log) -> Tracked {
    Tracked {
        id,
        log: log.clone(),
    }
}

fn assert_each_dropped_once(log: &Log, ids: std::ops::Range<usize>) {
    let mut dropped = log.lock().ignore_poison().clone();
    dropped.sort_unstable();
    assert_eq!(dropped, ids.collect::<Vec<_>>());
}

/// A stealer that steals once into its own queue and empties it.
fn spawn_stealer(steal: Steal<Tracked>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let (mut mine, _) = local();
        if let Some(task) = steal.steal_into(&mut mine) {
            drop(task);
            while let Some(task) = mine.pop() {
                drop(task);
            }
        }
    })
}

#[test]
fn loom_owner_push_pop_races_one_stealer() {
    loom::model(|| {
        let log = Log::default();
        let sink = Sink::default();
        let (mut queue, steal) = local();
        let stealer = spawn_stealer(steal);

        queue.push_back(task(0, &log), &sink);
        queue.push_back(task(1, &log), &sink);
        drop(queue.pop());
        queue.push_back(task(2, &log), &sink);
        while let Some(task) = queue.pop() {
            drop(task);
        }

        stealer.join().unwrap();
        assert!(sink.0.borrow().is_empty());
        assert_each_dropped_once(&log, 0..3);
    });
}

#[test]
fn loom_two_stealers_race_the_owner_popping() {
    loom::model(|| {
        let log = Log::default();
        let sink = Sink::default();
        let (mut queue, steal) = local();
        for id in 0..3 {
            queue.push_back(task(id, &log), &sink);
        }
        let first = spawn_stealer(steal.clone());
        let second = spawn_stealer(steal);

        drop(queue.pop());

        first.join().unwrap();
        second.join().unwrap();
        drop(queue);
        assert!(sink.0.borrow().is_empty());
        assert_each_dropped_once(&log, 0..3);
    });
}

/// The same race on a full ring, with the owner pushing into slots the
/// stealers free (or overflowing) and popping. Exploring every schedule
/// takes many minutes, so this one is bounded to five preemptions.
#[test]
fn loom_two_stealers_race_the_owner_on_a_full_ring() {
    crate::loom::model_bounded(5, || {
        let log = Log::default();
        let sink = Sink::default();
        let (mut queue, steal) = local();
        for id in 0..LOCAL_QUEUE_CAPACITY {
            queue.push_back(task(id, &log), &sink);
        }
        let first = spawn_stealer(steal.clone());
        let second = spawn_stealer(steal);

        queue.push_back(task(LOCAL_QUEUE_CAPACITY, &log), &sink);
        drop(queue.pop());

        first.join().unwrap();
        second.join().unwrap();
        drop(queue);
        drop(sink);
        assert_each_dropped_once(&log, 0..LOCAL_QUEUE_CAPACITY + 1);
    });
}

#[test]
fn loom_overflow_races_a_steal() {
    loom::model(|| {
        let log = Log::default();
        let sink = Sink::default();
        let (mut queue, steal) = local();
        for id in 0..LOCAL_QUEUE_CAPACITY {
            queue.push_back(task(id, &log), &sink);
        }
        let stealer = spawn_stealer(steal);

        // The ring is full unless the stealer already finished.
        queue.push_back(task(LOCAL_QUEUE_CAPACITY, &log), &sink);
        drop(queue.pop());

        stealer.join().unwrap();
        drop(queue);
        drop(sink);
        assert_each_dropped_once(&log, 0..LOCAL_QUEUE_CAPACITY + 1);
    });
}

#[test]
fn loom_dropping_the_owner_races_a_steal() {
    loom::model(|| {
        let log = Log::default();
        let sink = Sink::default();
        let (mut queue, steal) = local();
        for id in 0..3 {
            queue.push_back(task(id, &log), &sink);
        }
        let stealer = spawn_stealer(steal);

        drop(queue);

        stealer.join().unwrap();
        assert_each_dropped_once(&log, 0..3);
    });
}
