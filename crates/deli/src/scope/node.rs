//! The tree of cancellation nodes that cancel scopes, scopes and their
//! async children form while they run, and which node the code being
//! polled right now belongs to.
//!
//! A [`CancelState`] is what a user holds (through a `CancelScope`): the
//! cancel flag, the deadline, the shield. Each *run* of it is a [`Node`] in
//! the tree, under the node that was running when it started. A node is
//! cancelled by its own state, or by its parent's cancellation unless its
//! state is shielded. Cancellation is *level-triggered*: nothing is sent
//! to the code inside; every poll asks the tree, so once a node is
//! cancelled every later await inside it sees that.
//!
//! A node whose work must not be dropped half-way — a shielded run, a
//! scope that still has children — *holds* every node above it: an
//! ancestor that is cancelled keeps polling its future (so the holder can
//! finish, or cancel its children and wait for them) instead of dropping it.
//!
//! Cancelling wakes the futures that run the state's nodes and all nodes
//! below them that are not shielded, so each looks at the tree again.
//!
//! Locks: a state's lock and a node's lock are never held at once, and no
//! waker is called under either.

use crate::current_slot;
use crate::poison::IgnorePoison;
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::Waker;
use std::time::Instant;

/// What a cancel scope says, shared by all its runs.
#[derive(Debug, Default)]
pub(crate) struct CancelState {
    cancelled: AtomicBool,
    /// A run of this state ended because of a cancellation of its own.
    caught: AtomicBool,
    inner: Mutex<StateInner>,
}

#[derive(Debug, Default)]
struct StateInner {
    deadline: Option<Instant>,
    shield: bool,
    /// The nodes of the runs in progress.
    runs: Vec<Weak<Node>>,
}

impl CancelState {
    pub(crate) fn new(deadline: Option<Instant>, shield: bool) -> Arc<CancelState> {
        Arc::new(CancelState {
            inner: Mutex::new(StateInner {
                deadline,
                shield,
                runs: Vec::new(),
            }),
            ..CancelState::default()
        })
    }

    fn lock(&self) -> MutexGuard<'_, StateInner> {
        self.inner.lock().ignore_poison()
    }

    fn runs(&self) -> Vec<Arc<Node>> {
        let mut inner = self.lock();
        inner.runs.retain(|run| run.strong_count() > 0);
        inner.runs.iter().filter_map(Weak::upgrade).collect()
    }

    /// Cancels (once) and wakes every run and what lies below it.
    pub(crate) fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::AcqRel) {
            for run in self.runs() {
                run.wake_subtree();
            }
        }
    }

    /// Cancelled by `cancel` or by a deadline that has passed.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.is_cancelled_at(crate::time::now())
    }

    fn is_cancelled_at(&self, now: Instant) -> bool {
        self.cancelled.load(Ordering::Acquire)
            || self.lock().deadline.is_some_and(|deadline| deadline <= now)
    }

    /// Turns a passed deadline into a cancellation (waking the runs).
    pub(crate) fn check_deadline(&self, now: Instant) {
        if !self.cancelled.load(Ordering::Acquire)
            && self.lock().deadline.is_some_and(|deadline| deadline <= now)
        {
            self.cancel();
        }
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.lock().deadline
    }

    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        self.lock().deadline = deadline;
        // Each run re-arms its timer (or sees the deadline has passed).
        for run in self.runs() {
            run.wake();
        }
    }

    pub(crate) fn shield(&self) -> bool {
        self.lock().shield
    }

    pub(crate) fn set_shield(&self, shield: bool) {
        {
            let mut inner = self.lock();
            if inner.shield == shield {
                return;
            }
            inner.shield = shield;
        }
        for run in self.runs() {
            if shield {
                run.start_holding();
            } else {
                run.stop_holding();
                // An outer cancellation may reach it now.
                run.wake_subtree();
            }
        }
    }

    pub(crate) fn mark_caught(&self) {
        self.caught.store(true, Ordering::Release);
    }

    pub(crate) fn caught(&self) -> bool {
        self.caught.load(Ordering::Acquire)
    }
}

/// One run of a [`CancelState`] in the tree.
#[derive(Debug)]
pub(crate) struct Node {
    state: Arc<CancelState>,
    /// How many running holders (shields, scopes) sit below.
    holds: AtomicUsize,
    inner: Mutex<NodeInner>,
}

#[derive(Debug, Default)]
struct NodeInner {
    parent: Option<Arc<Node>>,
    /// Between `attach` and `detach`.
    running: bool,
    /// Whether this node currently holds its ancestors.
    holding: bool,
    /// The waker of the future that runs this node.
    waker: Option<Waker>,
    children: Vec<Weak<Node>>,
}

impl Node {
    /// A node for one run of `state`, attached under `parent` (the node
    /// being polled where the run starts, or an explicit one).
    pub(crate) fn attach(state: Arc<CancelState>, parent: Option<Arc<Node>>) -> Arc<Node> {
        let node = Node::new(state);
        node.attach_to(parent);
        node
    }

    /// A node for a run of `state` that has not started: cancelling the
    /// state already reaches what is attached below it.
    pub(crate) fn new(state: Arc<CancelState>) -> Arc<Node> {
        let node = Arc::new(Node {
            state,
            holds: AtomicUsize::new(0),
            inner: Mutex::new(NodeInner::default()),
        });
        let mut runs = node.state.lock();
        runs.runs.retain(|run| run.strong_count() > 0);
        runs.runs.push(Arc::downgrade(&node));
        drop(runs);
        node
    }

    /// Starts the run under `parent`. Only once; later calls do nothing.
    pub(crate) fn attach_to(self: &Arc<Self>, parent: Option<Arc<Node>>) {
        {
            let mut inner = self.lock();
            if inner.running || inner.parent.is_some() {
                return;
            }
            inner.parent.clone_from(&parent);
            inner.running = true;
        }
        if let Some(parent) = &parent {
            let mut parent_inner = parent.lock();
            parent_inner
                .children
                .retain(|child| child.strong_count() > 0);
            parent_inner.children.push(Arc::downgrade(self));
        }
        if self.state.shield() {
            self.start_holding();
        }
    }

    fn lock(&self) -> MutexGuard<'_, NodeInner> {
        self.inner.lock().ignore_poison()
    }

    pub(crate) fn state(&self) -> &Arc<CancelState> {
        &self.state
    }

    /// Ends the run: drops any hold on the ancestors. Idempotent.
    pub(crate) fn detach(&self) {
        let parent = {
            let mut inner = self.lock();
            // In one step with releasing the hold: a `set_shield` racing
            // with this cannot hold for a run that has ended.
            inner.running = false;
            if !std::mem::take(&mut inner.holding) {
                return;
            }
            inner.parent.clone()
        };
        release_ancestors(parent);
    }

    /// Makes every ancestor keep polling this node's future when cancelled
    /// (while the run lasts).
    pub(crate) fn start_holding(&self) {
        let parent = {
            let mut inner = self.lock();
            if inner.holding || !inner.running {
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
            if !std::mem::take(&mut inner.holding) {
                return;
            }
            inner.parent.clone()
        };
        release_ancestors(parent);
    }

    /// Whether some holder below keeps this node's future from being dropped.
    pub(crate) fn is_held(&self) -> bool {
        self.holds.load(Ordering::Acquire) > 0
    }

    /// Whether this node is cancelled, by its own state or by an ancestor
    /// whose cancellation reaches it (no shield in between).
    pub(crate) fn is_cancelled(&self) -> bool {
        let now = crate::time::now();
        if self.state.is_cancelled_at(now) {
            return true;
        }
        let mut next = self.parent_unless_shielded();
        while let Some(node) = next {
            if node.state.is_cancelled_at(now) {
                return true;
            }
            next = node.parent_unless_shielded();
        }
        false
    }

    fn parent_unless_shielded(&self) -> Option<Arc<Node>> {
        if self.state.shield() {
            return None;
        }
        self.lock().parent.clone()
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
            if !child.state.shield() {
                child.wake_subtree();
            }
        }
    }

    /// Runs `poll` with this node as the thread's current node.
    pub(crate) fn enter<R>(self: &Arc<Self>, poll: impl FnOnce() -> R) -> R {
        current_slot::with_pointer(&CURRENT, Arc::as_ptr(self), poll).0
    }
}

/// What the owner of a node should do with its future after a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not cancelled, or held: keep polling.
    Continue,
    /// Cancelled by its own state: drop the future; the run caught it.
    DropCaught,
    /// Cancelled from further out: drop the future and stay pending; the
    /// ancestor that was cancelled ends the rest in this same poll.
    DropForAncestor,
}

impl Node {
    /// Looks at the tree for the node's owner (a passed deadline of its own
    /// becomes a cancellation here).
    pub(crate) fn verdict(&self) -> Verdict {
        self.state.check_deadline(crate::time::now());
        if self.is_held() || !self.is_cancelled() {
            Verdict::Continue
        } else if self.state.is_cancelled() {
            Verdict::DropCaught
        } else {
            Verdict::DropForAncestor
        }
    }
}

fn release_ancestors(parent: Option<Arc<Node>>) {
    for_each_ancestor(parent, |node| {
        if node.holds.fetch_sub(1, Ordering::AcqRel) == 1 {
            // An ancestor waiting for its holders may now drop its future.
            node.wake();
        }
    });
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
/// [`CancelScope`](super::CancelScope) or [`scope`](super::scope()) (or is
/// an async child of a cancelled scope).
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

    fn child_of(parent: &Arc<Node>, shield: bool) -> Arc<Node> {
        Node::attach(CancelState::new(None, shield), Some(parent.clone()))
    }

    #[test]
    fn cancellation_reaches_children_but_not_through_a_shield() {
        let outer = Node::attach(CancelState::new(None, false), None);
        let inner = child_of(&outer, false);
        let shielded = child_of(&outer, true);
        assert!(!inner.is_cancelled());
        outer.state().cancel();
        assert!(inner.is_cancelled());
        assert_eq!(inner.verdict(), Verdict::DropForAncestor);
        assert!(!shielded.is_cancelled());
        assert!(outer.is_held(), "a running shield holds its ancestors");
        assert_eq!(outer.verdict(), Verdict::Continue);
        shielded.detach();
        assert!(!outer.is_held());
        assert_eq!(outer.verdict(), Verdict::DropCaught);
    }

    #[test]
    fn an_inner_cancel_does_not_leak_out() {
        let outer = Node::attach(CancelState::new(None, false), None);
        let inner = child_of(&outer, false);
        inner.state().cancel();
        assert!(inner.is_cancelled());
        assert!(!outer.is_cancelled());
    }

    #[test]
    fn a_passed_deadline_cancels() {
        let node = Node::attach(CancelState::new(Some(Instant::now()), false), None);
        assert!(node.is_cancelled());
        assert_eq!(node.verdict(), Verdict::DropCaught);
    }

    #[test]
    fn shielding_after_the_run_ended_holds_nothing() {
        let outer = Node::attach(CancelState::new(None, false), None);
        let state = CancelState::new(None, false);
        let inner = Node::attach(state.clone(), Some(outer.clone()));
        inner.detach();
        state.set_shield(true);
        assert!(!outer.is_held());
    }
}
