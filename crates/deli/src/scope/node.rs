//! The tree of cancellation nodes that cancel scopes and scopes form while
//! they run, and which node the code being polled right now belongs to.
//!
//! A node is cancelled by its own flag or deadline, or by its parent's
//! cancellation unless it is shielded. Cancellation is *level-triggered*:
//! nothing is sent to the code inside; every poll asks the tree, so once a
//! node is cancelled every later await inside it sees that.
//!
//! A node whose work must not be dropped half-way — a shielded scope, a
//! scope that still has children — *holds* every node above it: an
//! ancestor that is cancelled keeps polling its future (so the holder can
//! finish, or cancel its children and wait for them) instead of dropping it.
//!
//! Cancelling a node wakes the future that runs it and the futures of all
//! nodes below it that are not shielded, so each looks at the tree again.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::Waker;
use std::time::Instant;

/// One cancel scope (or scope) in the tree.
#[derive(Debug, Default)]
pub(crate) struct Node {
    cancelled: AtomicBool,
    /// How many running holders (shields, scopes with children) sit below.
    holds: AtomicUsize,
    inner: Mutex<NodeInner>,
}

#[derive(Debug, Default)]
struct NodeInner {
    deadline: Option<Instant>,
    shield: bool,
    /// Set when the node starts running under its parent (or as a root).
    attached: bool,
    parent: Option<Arc<Node>>,
    /// Whether this node currently holds its ancestors.
    holding: bool,
    /// The waker of the future that runs this node.
    waker: Option<Waker>,
    children: Vec<Weak<Node>>,
}

impl Node {
    pub(crate) fn new(deadline: Option<Instant>, shield: bool) -> Arc<Node> {
        Arc::new(Node {
            inner: Mutex::new(NodeInner {
                deadline,
                shield,
                ..NodeInner::default()
            }),
            ..Node::default()
        })
    }

    fn lock(&self) -> MutexGuard<'_, NodeInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Joins the tree under the node being polled on this thread (if any).
    /// Returns `false` when the node had already been attached.
    pub(crate) fn attach(self: &Arc<Self>) -> bool {
        let parent = current();
        let hold = {
            let mut inner = self.lock();
            if inner.attached {
                return false;
            }
            inner.attached = true;
            inner.parent = parent.clone();
            inner.shield
        };
        if let Some(parent) = &parent {
            let mut parent_inner = parent.lock();
            parent_inner
                .children
                .retain(|child| child.strong_count() > 0);
            parent_inner.children.push(Arc::downgrade(self));
        }
        if hold {
            self.start_holding();
        }
        true
    }

    /// Leaves the tree: drops any hold on the ancestors.
    pub(crate) fn detach(&self) {
        self.stop_holding();
    }

    /// Makes every ancestor keep polling this node's future when cancelled.
    pub(crate) fn start_holding(&self) {
        let parent = {
            let mut inner = self.lock();
            if inner.holding {
                return;
            }
            inner.holding = true;
            inner.parent.clone()
        };
        for_each_ancestor(parent, |node| {
            node.holds.fetch_add(1, Ordering::AcqRel);
        });
    }

    pub(crate) fn stop_holding(&self) {
        let parent = {
            let mut inner = self.lock();
            if !inner.holding {
                return;
            }
            inner.holding = false;
            inner.parent.clone()
        };
        for_each_ancestor(parent, |node| {
            let previous = node.holds.fetch_sub(1, Ordering::AcqRel);
            if previous == 1 {
                // An ancestor waiting for its holders may now drop its future.
                node.wake();
            }
        });
    }

    /// Whether some holder below keeps this node's future from being dropped.
    pub(crate) fn is_held(&self) -> bool {
        self.holds.load(Ordering::Acquire) > 0
    }

    /// Cancels this node (once) and wakes everything below it that cares.
    pub(crate) fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::AcqRel) {
            self.wake_subtree();
        }
    }

    /// Whether this node itself was cancelled (by `cancel` or its deadline
    /// as seen by [`Node::check_deadline`]), not counting its ancestors.
    pub(crate) fn is_cancelled_itself(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Cancels the node if its deadline has passed; returns the deadline
    /// still ahead, if any.
    pub(crate) fn check_deadline(&self, now: Instant) -> Option<Instant> {
        let deadline = self.lock().deadline?;
        if deadline <= now {
            self.cancel();
            None
        } else {
            Some(deadline)
        }
    }

    /// Whether this node is cancelled, by itself or by an ancestor whose
    /// cancellation reaches it (no shield in between).
    pub(crate) fn is_cancelled(&self) -> bool {
        let now = Instant::now();
        let mut parent = {
            if self.cancelled.load(Ordering::Acquire) {
                return true;
            }
            let inner = self.lock();
            if inner.deadline.is_some_and(|deadline| deadline <= now) {
                return true;
            }
            if inner.shield {
                return false;
            }
            inner.parent.clone()
        };
        while let Some(node) = parent {
            if node.cancelled.load(Ordering::Acquire) {
                return true;
            }
            let inner = node.lock();
            if inner.deadline.is_some_and(|deadline| deadline <= now) {
                return true;
            }
            if inner.shield {
                return false;
            }
            parent = inner.parent.clone();
        }
        false
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.lock().deadline
    }

    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        self.lock().deadline = deadline;
        // The running future re-arms its timer (or sees it has passed).
        self.wake();
    }

    pub(crate) fn shield(&self) -> bool {
        self.lock().shield
    }

    pub(crate) fn set_shield(&self, shield: bool) {
        let (changed, attached) = {
            let mut inner = self.lock();
            let changed = inner.shield != shield;
            inner.shield = shield;
            (changed, inner.attached)
        };
        if !changed || !attached {
            return;
        }
        if shield {
            self.start_holding();
        } else {
            self.stop_holding();
            // An outer cancellation may reach it now.
            self.wake_subtree();
        }
    }

    pub(crate) fn register_waker(&self, waker: &Waker) {
        let mut inner = self.lock();
        match &inner.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => inner.waker = Some(waker.clone()),
        }
    }

    pub(crate) fn wake(&self) {
        let waker = self.lock().waker.clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wake_subtree(&self) {
        let (waker, children) = {
            let mut inner = self.lock();
            inner.children.retain(|child| child.strong_count() > 0);
            (inner.waker.clone(), inner.children.clone())
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        for child in children.iter().filter_map(Weak::upgrade) {
            if !child.shield() {
                child.wake_subtree();
            }
        }
    }

    /// Runs `poll` with this node as the thread's current node.
    pub(crate) fn enter<R>(self: &Arc<Self>, poll: impl FnOnce() -> R) -> R {
        struct Restore(*const Node);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0;
                let _ = CURRENT.try_with(|current| current.set(previous));
            }
        }
        let previous = CURRENT
            .try_with(|current| current.replace(Arc::as_ptr(self)))
            .unwrap_or(ptr::null());
        let _restore = Restore(previous);
        poll()
    }
}

fn for_each_ancestor(mut next: Option<Arc<Node>>, mut visit: impl FnMut(&Node)) {
    while let Some(node) = next {
        visit(&node);
        next = node.lock().parent.clone();
    }
}

thread_local! {
    static CURRENT: Cell<*const Node> = const { Cell::new(ptr::null()) };
}

/// The node whose future this thread is polling, if any.
pub(crate) fn current() -> Option<Arc<Node>> {
    let pointer = CURRENT.try_with(Cell::get).unwrap_or(ptr::null());
    if pointer.is_null() {
        return None;
    }
    // SAFETY: `enter` sets the pointer from a live `Arc<Node>` that the
    // caller of `enter` holds for the whole call and restores the previous
    // value before returning, so a non-null pointer read on this thread
    // points to a node whose `Arc` is alive right now. Taking one more
    // strong count makes the returned `Arc` independent of that borrow.
    unsafe {
        Arc::increment_strong_count(pointer);
        Some(Arc::from_raw(pointer))
    }
}

/// Whether the code being polled on this thread runs inside a cancelled
/// [`CancelScope`](super::CancelScope) or [`scope`](super::scope()).
///
/// Async code that computes for a while between awaits can look now and
/// then and return early; its next await that is not ready ends it anyway.
/// Outside any scope it is `false`.
///
/// # Examples
///
/// ```
/// use deli::scope::{is_cancelled, CancelScope};
///
/// deli::run(async {
///     let scope = CancelScope::new();
///     let handle = scope.clone();
///     let steps = scope
///         .run(async move {
///             let mut steps = 0u64;
///             while !is_cancelled() {
///                 steps += 1;
///                 if steps == 100 {
///                     handle.cancel(); // stands for a cancel from elsewhere
///                 }
///             }
///             steps
///         })
///         .await;
///     // It finished without waiting again, so it keeps its value.
///     assert_eq!(steps, Some(100));
///     assert!(!is_cancelled());
/// });
/// ```
pub fn is_cancelled() -> bool {
    current().is_some_and(|node| node.is_cancelled())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn cancellation_reaches_children_but_not_through_a_shield() {
        let outer = Node::new(None, false);
        outer.attach();
        let (inner, shielded) = outer.enter(|| {
            let inner = Node::new(None, false);
            inner.attach();
            let shielded = Node::new(None, true);
            shielded.attach();
            (inner, shielded)
        });
        assert!(!inner.is_cancelled());
        outer.cancel();
        assert!(inner.is_cancelled());
        assert!(!shielded.is_cancelled());
        assert!(outer.is_held(), "a running shield holds its ancestors");
        shielded.detach();
        assert!(!outer.is_held());
    }

    #[test]
    fn an_inner_cancel_does_not_leak_out() {
        let outer = Node::new(None, false);
        outer.attach();
        let inner = outer.enter(|| {
            let inner = Node::new(None, false);
            inner.attach();
            inner
        });
        inner.cancel();
        assert!(inner.is_cancelled());
        assert!(!outer.is_cancelled());
    }

    #[test]
    fn a_passed_deadline_cancels() {
        let node = Node::new(Some(Instant::now()), false);
        node.attach();
        assert!(node.is_cancelled());
        assert_eq!(node.check_deadline(Instant::now()), None);
        assert!(node.is_cancelled_itself());
    }
}
