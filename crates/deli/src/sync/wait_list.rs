//! [`WaitList`]: the FIFO of waiters behind the permit pool (`super::permits`,
//! under [`Semaphore`](super::Semaphore), [`Mutex`](super::Mutex) and
//! [`RwLock`](super::RwLock)) and [`Notify`](super::Notify) — a doubly
//! linked list threaded through a
//! slab, so a waiter joins at the back, leaves from anywhere (its future was
//! dropped) and is served from the front, each in O(1) without allocating
//! once the slab has grown.
//!
//! It is a plain data structure: its owner keeps it under a mutex, so
//! nothing here is lock-free. Uses `slab` only.

use slab::Slab;

/// A waiter's place in the list; stays valid until [`WaitList::remove`].
pub(crate) type Key = usize;

#[derive(Debug)]
struct Node<T> {
    value: T,
    prev: Option<Key>,
    next: Option<Key>,
    /// Whether the node is in the FIFO order; an unlinked one is out of
    /// line (served, or failed by a close) but kept until its future
    /// collects the outcome.
    linked: bool,
}

/// Waiters in arrival order, each carrying its owner's per-waiter state.
#[derive(Debug)]
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    head: Option<Key>,
    tail: Option<Key>,
    linked: usize,
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList {
            nodes: Slab::new(),
            head: None,
            tail: None,
            linked: 0,
        }
    }

    /// Whether no waiter is linked (served-but-uncollected ones don't count).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    /// Adds a waiter at the back.
    pub(crate) fn push_back(&mut self, value: T) -> Key {
        let key = self.nodes.insert(Node {
            value,
            prev: self.tail,
            next: None,
            linked: true,
        });
        match self.tail {
            Some(tail) => self.nodes[tail].next = Some(key),
            None => self.head = Some(key),
        }
        self.tail = Some(key);
        self.linked += 1;
        key
    }

    /// The first linked waiter.
    pub(crate) fn front(&self) -> Option<Key> {
        self.head
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        self.nodes.get(key).map(|node| &node.value)
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.nodes.get_mut(key).map(|node| &mut node.value)
    }

    /// Takes `key` out of the FIFO order but keeps its state for its future
    /// to collect. Does nothing if it is already out.
    pub(crate) fn unlink(&mut self, key: Key) {
        let Some(node) = self.nodes.get_mut(key) else {
            return;
        };
        if !node.linked {
            return;
        }
        node.linked = false;
        let (prev, next) = (node.prev.take(), node.next.take());
        match prev {
            Some(prev) => self.nodes[prev].next = next,
            None => self.head = next,
        }
        match next {
            Some(next) => self.nodes[next].prev = prev,
            None => self.tail = prev,
        }
        self.linked -= 1;
    }

    /// Removes `key` entirely, returning its state.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        self.unlink(key);
        self.nodes.try_remove(key).map(|node| node.value)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Drains the linked order front to back.
    fn drain(list: &mut WaitList<u32>) -> Vec<u32> {
        let mut values = Vec::new();
        while let Some(key) = list.front() {
            values.push(*list.get(key).unwrap());
            list.unlink(key);
        }
        values
    }

    #[test]
    fn fifo_with_removal_from_anywhere() {
        let mut list = WaitList::new();
        let keys: Vec<_> = (0..5).map(|n| list.push_back(n)).collect();
        assert_eq!(list.remove(keys[2]), Some(2));
        list.unlink(keys[0]);
        // Unlinked but kept for its future to collect.
        assert_eq!(list.get(keys[0]), Some(&0));
        assert_eq!(list.remove(keys[4]), Some(4));
        let seven = list.push_back(7);
        *list.get_mut(seven).unwrap() += 1;
        assert!(!list.is_empty());
        assert_eq!(drain(&mut list), [1, 3, 8]);
        assert!(list.is_empty());
        assert_eq!(list.remove(keys[0]), Some(0));
    }
}
