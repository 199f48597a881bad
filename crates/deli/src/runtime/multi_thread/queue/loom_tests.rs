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

/// One model's world: the log tasks record their drops in, and the sink
/// that keeps what the queue under test overflows.
#[derive(Default)]
struct World {
    log: Log,
    sink: Sink,
}

impl World {
    /// A world and its queue, holding tasks `0..n`.
    fn with_queue(n: usize) -> (World, Local<Tracked>, Steal<Tracked>) {
        let world = World::default();
        let (mut queue, steal) = local();
        for id in 0..n {
            world.push(&mut queue, id);
        }
        (world, queue, steal)
    }

    fn push(&self, queue: &mut Local<Tracked>, id: usize) {
        queue.push_back(task(id, &self.log), &self.sink);
    }

    fn assert_nothing_overflowed(&self) {
        assert!(self.sink.0.borrow().is_empty());
    }

    /// Drops what overflowed, then checks that tasks `0..n` were each
    /// dropped exactly once (drop the queue first).
    fn end(self, n: usize) {
        drop(self.sink);
        let mut dropped = self.log.lock().ignore_poison().clone();
        dropped.sort_unstable();
        assert_eq!(dropped, (0..n).collect::<Vec<_>>());
    }
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
        let (world, mut queue, steal) = World::with_queue(0);
        let stealer = spawn_stealer(steal);

        world.push(&mut queue, 0);
        world.push(&mut queue, 1);
        drop(queue.pop());
        world.push(&mut queue, 2);
        while let Some(task) = queue.pop() {
            drop(task);
        }

        stealer.join().unwrap();
        world.assert_nothing_overflowed();
        drop(queue);
        world.end(3);
    });
}

#[test]
fn loom_two_stealers_race_the_owner_popping() {
    loom::model(|| {
        let (world, mut queue, steal) = World::with_queue(3);
        let first = spawn_stealer(steal.clone());
        let second = spawn_stealer(steal);

        drop(queue.pop());

        first.join().unwrap();
        second.join().unwrap();
        world.assert_nothing_overflowed();
        drop(queue);
        world.end(3);
    });
}

/// The same race on a full ring, with the owner pushing into slots the
/// stealers free (or overflowing) and popping. Exploring every schedule
/// takes many minutes, so this one is bounded to five preemptions.
#[test]
fn loom_two_stealers_race_the_owner_on_a_full_ring() {
    crate::loom::model_bounded(5, || owner_overflows_racing(2));
}

#[test]
fn loom_overflow_races_a_steal() {
    loom::model(|| owner_overflows_racing(1));
}

/// `stealers` steal from a full ring while its owner pushes one more task
/// (overflowing, unless a stealer already made room) and pops one.
fn owner_overflows_racing(stealers: usize) {
    let (world, mut queue, steal) = World::with_queue(LOCAL_QUEUE_CAPACITY);
    let stealers: Vec<_> = (0..stealers)
        .map(|_| spawn_stealer(steal.clone()))
        .collect();
    drop(steal);

    world.push(&mut queue, LOCAL_QUEUE_CAPACITY);
    drop(queue.pop());

    for stealer in stealers {
        stealer.join().unwrap();
    }
    drop(queue);
    world.end(LOCAL_QUEUE_CAPACITY + 1);
}

#[test]
fn loom_dropping_the_owner_races_a_steal() {
    loom::model(|| {
        let (world, queue, steal) = World::with_queue(3);
        let stealer = spawn_stealer(steal);

        drop(queue);

        stealer.join().unwrap();
        world.end(3);
    });
}
