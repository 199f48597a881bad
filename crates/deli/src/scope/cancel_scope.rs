//! [`CancelScope`]: a region of async code that can be cancelled from
//! outside or by a deadline, and the shorthands [`move_on_after`],
//! [`move_on_at`], [`fail_after`] and [`fail_at`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::node::{current, CancelState, Node, Verdict};
use crate::time::{Elapsed, Sleep};

/// A region of async code that can be cancelled — by [`cancel`], by a
/// deadline that can be moved while it runs, or by a cancel scope around
/// it — in the manner of trio's and AnyIO's cancel scopes.
///
/// [`run`](CancelScope::run) runs a future inside the scope. Once the
/// scope is cancelled, the future is dropped at its next await that is not
/// ready (cancellation is level-triggered: it is never "used up"), and
/// `run` returns `None`. A future that finishes without waiting again keeps
/// its value. Scopes nest: cancelling an inner scope ends only the inner
/// future; cancelling an outer one reaches everything inside it, except
/// what runs inside a [`shielded`](CancelScope::shielded) scope, which runs on
/// until it finishes by itself (or its own deadline passes) and only then
/// lets the outer cancellation end the rest.
///
/// A `CancelScope` is a cheap handle: clone it to cancel the scope or move
/// its deadline from another task or thread. One scope may run several
/// futures, at once or one after another (in the manner of a cancellation
/// token shared by many tasks): cancelling it ends all of them.
///
/// What cancellation means at each kind of await (whether a dropped
/// future loses anything) is listed in the [module docs](mod@crate::scope#cancel-safety).
///
/// [`cancel`]: CancelScope::cancel
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use deli::scope::CancelScope;
///
/// deli::run(async {
///     let scope = CancelScope::new();
///     let remote = scope.clone();
///     deli::spawn(async move {
///         deli::sleep(Duration::from_millis(10)).await;
///         remote.cancel();
///     })
///     .detach();
///     let finished = scope.run(std::future::pending::<()>()).await;
///     assert_eq!(finished, None);
///     assert!(scope.cancelled_caught());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct CancelScope {
    state: Arc<CancelState>,
}

impl Default for CancelScope {
    fn default() -> Self {
        CancelScope::new()
    }
}

impl CancelScope {
    /// A scope with no deadline, not shielded.
    ///
    /// # Examples
    ///
    /// ```
    /// let scope = deli::scope::CancelScope::new();
    /// assert_eq!(deli::run(scope.run(async { 7 })), Some(7));
    /// ```
    pub fn new() -> CancelScope {
        CancelScope {
            state: CancelState::new(None, false),
        }
    }

    /// A scope cancelled once `deadline` has passed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let scope = deli::scope::CancelScope::with_deadline(Instant::now() + Duration::from_millis(5));
    /// assert_eq!(deli::run(scope.run(std::future::pending::<()>())), None);
    /// ```
    pub fn with_deadline(deadline: Instant) -> CancelScope {
        CancelScope {
            state: CancelState::new(Some(deadline), false),
        }
    }

    /// A scope cancelled `timeout` from now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let scope = deli::scope::CancelScope::with_timeout(Duration::from_millis(5));
    /// assert_eq!(deli::run(scope.run(std::future::pending::<()>())), None);
    /// ```
    pub fn with_timeout(timeout: Duration) -> CancelScope {
        CancelScope::with_deadline(deadline_after(timeout))
    }

    /// Shields (or unshields) the scope: cancellation of the scopes around
    /// it no longer reaches the code inside; its own `cancel` and deadline
    /// still do.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use deli::scope::{move_on_after, CancelScope};
    ///
    /// use std::cell::Cell;
    ///
    /// deli::run(async {
    ///     let shield_finished = Cell::new(false);
    ///     let outer = move_on_after(Duration::from_millis(5), async {
    ///         let shielded = CancelScope::new().shielded(true);
    ///         shielded
    ///             .run(deli::sleep(Duration::from_millis(30)))
    ///             .await
    ///             .expect("the outer deadline does not reach a shielded scope");
    ///         shield_finished.set(true);
    ///         // The outer deadline has passed: this await ends the future.
    ///         deli::sleep(Duration::from_secs(10)).await;
    ///     })
    ///     .await;
    ///     assert_eq!(outer, None);
    ///     assert!(shield_finished.get());
    /// });
    /// ```
    pub fn shielded(self, shield: bool) -> CancelScope {
        self.state.set_shield(shield);
        self
    }

    /// Changes whether this scope is shielded, also while it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// let scope = deli::scope::CancelScope::new();
    /// scope.set_shield(true);
    /// assert!(scope.is_shielded());
    /// ```
    pub fn set_shield(&self, shield: bool) {
        self.state.set_shield(shield);
    }

    /// Whether the scope is shielded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!deli::scope::CancelScope::new().is_shielded());
    /// ```
    pub fn is_shielded(&self) -> bool {
        self.state.shield()
    }

    /// Cancels the scope, from anywhere: the future inside is dropped at its
    /// next await that is not ready (right away if it is waiting now).
    /// Cancelling twice, or after the future finished, changes nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let scope = deli::scope::CancelScope::new();
    /// scope.cancel();
    /// // Level-triggered: a scope cancelled before it runs never polls its future.
    /// assert_eq!(deli::run(scope.run(async { 1 })), None);
    /// ```
    pub fn cancel(&self) {
        self.state.cancel();
    }

    /// Whether [`cancel`](CancelScope::cancel) was called or the deadline
    /// has passed (not counting scopes around this one).
    ///
    /// # Examples
    ///
    /// ```
    /// let scope = deli::scope::CancelScope::new();
    /// assert!(!scope.is_cancelled());
    /// scope.cancel();
    /// assert!(scope.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.state.is_cancelled()
    }

    /// Whether this scope's [`run`](CancelScope::run) ended because of a
    /// cancellation (its own or one from outside): its future was dropped
    /// unfinished.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// deli::run(async {
    ///     let scope = deli::scope::CancelScope::with_timeout(Duration::from_millis(1));
    ///     scope.run(deli::sleep(Duration::from_secs(10))).await;
    ///     assert!(scope.cancelled_caught());
    /// });
    /// ```
    pub fn cancelled_caught(&self) -> bool {
        self.state.caught()
    }

    /// The deadline, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(deli::scope::CancelScope::new().deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.state.deadline()
    }

    /// Moves the deadline (`None` removes it), also while the scope runs;
    /// a deadline in the past cancels the scope at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// deli::run(async {
    ///     let scope = deli::scope::CancelScope::with_timeout(Duration::from_millis(1));
    ///     // Pushed back before it runs: the future has time to finish.
    ///     scope.set_deadline(Some(Instant::now() + Duration::from_secs(30)));
    ///     let value = scope
    ///         .run(async {
    ///             deli::sleep(Duration::from_millis(5)).await;
    ///             5
    ///         })
    ///         .await;
    ///     assert_eq!(value, Some(5));
    /// });
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.state.set_deadline(deadline);
    }

    /// Runs `future` inside this scope: `Some(output)` if it finished,
    /// `None` if a cancellation dropped it first.
    ///
    /// The returned future is cancel-safe in the usual Rust sense: dropping
    /// it drops `future` and leaves the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// let scope = deli::scope::CancelScope::new();
    /// assert_eq!(deli::run(scope.run(async { "done" })), Some("done"));
    /// assert!(!scope.cancelled_caught());
    /// ```
    pub fn run<F: Future>(&self, future: F) -> Run<F> {
        Run {
            state: self.state.clone(),
            node: None,
            future: Some(future),
            timer: None,
        }
    }
}

/// The future of [`CancelScope::run`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Run<F> {
    state: Arc<CancelState>,
    /// This run's place in the tree, from its first poll until it ends.
    node: Option<Arc<Node>>,
    future: Option<F>,
    timer: Option<Sleep>,
}

impl<F: Future> Future for Run<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out,
        // only polled through the pin made below or dropped in place by
        // assigning `None`. The other fields are not pinned; `Run`'s `Drop`
        // does not move `future`.
        let this = unsafe { self.get_unchecked_mut() };
        if this.future.is_none() {
            // Ended before; `DropForAncestor` keeps answering this.
            return Poll::Pending;
        }
        let node = this
            .node
            .get_or_insert_with(|| Node::attach(this.state.clone(), current()))
            .clone();
        node.register_waker(cx.waker());
        if let Some(ended) = this.end_if_cancelled(&node) {
            return ended;
        }
        let Some(future) = this.future.as_mut() else {
            return Poll::Pending;
        };
        // SAFETY: see above: the future stays in place inside the pinned `Run`.
        let future = unsafe { Pin::new_unchecked(future) };
        if let Poll::Ready(output) = node.enter(|| future.poll(cx)) {
            this.future = None;
            this.timer = None;
            node.detach();
            return Poll::Ready(Some(output));
        }
        if let Some(ended) = this.end_if_cancelled(&node) {
            return ended;
        }
        this.arm_timer(&node, cx);
        Poll::Pending
    }
}

impl<F> Run<F> {
    /// Drops the future if the tree says so: `Ready(None)` for a
    /// cancellation of this scope's own, `Pending` for one from further out
    /// (the cancelled ancestor drops this run in the same poll).
    fn end_if_cancelled<T>(&mut self, node: &Node) -> Option<Poll<Option<T>>> {
        let verdict = node.verdict();
        if verdict == Verdict::Continue {
            return None;
        }
        self.future = None;
        self.timer = None;
        node.detach();
        Some(if verdict == Verdict::DropCaught {
            self.state.mark_caught();
            Poll::Ready(None)
        } else {
            Poll::Pending
        })
    }

    /// Makes sure a wake-up comes when the (possibly moved) deadline passes.
    /// Not once the node is cancelled: then only the end of what holds it
    /// (which wakes it) matters, and a passed deadline would wake it in a loop.
    fn arm_timer(&mut self, node: &Node, cx: &mut Context<'_>) {
        let deadline = match self.state.deadline() {
            Some(deadline) if !node.is_cancelled() => deadline,
            _ => {
                self.timer = None;
                return;
            }
        };
        let timer = self
            .timer
            .get_or_insert_with(|| crate::time::sleep_until(deadline));
        if timer.deadline() != deadline {
            timer.reset(deadline);
        }
        if Pin::new(timer).poll(cx).is_ready() {
            // Passed between the check and now: look again right away.
            cx.waker().wake_by_ref();
        }
    }
}

impl<F> Drop for Run<F> {
    fn drop(&mut self) {
        // The future goes before the run leaves the tree: what it holds
        // (a shield, a scope) releases its ancestors first.
        self.future = None;
        if let Some(node) = &self.node {
            node.detach();
        }
    }
}

/// Runs `future` for at most `timeout`: `Some(output)`, or `None` if the
/// deadline passed first (the future is dropped at its next await).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let slow = deli::move_on_after(Duration::from_millis(5), deli::sleep(Duration::from_secs(10)));
///     assert_eq!(slow.await, None);
///     let quick = deli::move_on_after(Duration::from_secs(10), async { 1 });
///     assert_eq!(quick.await, Some(1));
/// });
/// ```
pub fn move_on_after<F: Future>(timeout: Duration, future: F) -> Run<F> {
    CancelScope::with_timeout(timeout).run(future)
}

/// Runs `future` until `deadline` at the latest; see [`move_on_after`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let result = deli::run(deli::move_on_at(Instant::now() + Duration::from_millis(5), std::future::pending::<()>()));
/// assert_eq!(result, None);
/// ```
pub fn move_on_at<F: Future>(deadline: Instant, future: F) -> Run<F> {
    CancelScope::with_deadline(deadline).run(future)
}

/// Runs `future` for at most `timeout`, or fails with [`Elapsed`].
///
/// Unlike [`timeout`](crate::timeout), the deadline is a cancel scope: it
/// reaches scopes nested inside (which cancel their children and wait for
/// them before the deadline's error is returned) and respects shields.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let late = deli::fail_after(Duration::from_millis(5), deli::sleep(Duration::from_secs(10)));
///     assert!(late.await.is_err());
///     let on_time = deli::fail_after(Duration::from_secs(10), async { 2 });
///     assert_eq!(on_time.await, Ok(2));
/// });
/// ```
pub async fn fail_after<F: Future>(timeout: Duration, future: F) -> Result<F::Output, Elapsed> {
    fail_at(deadline_after(timeout), future).await
}

/// Runs `future` until `deadline` at the latest, or fails with [`Elapsed`];
/// see [`fail_after`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let result = deli::run(deli::fail_at(Instant::now() + Duration::from_millis(5), std::future::pending::<()>()));
/// assert!(result.is_err());
/// ```
pub async fn fail_at<F: Future>(deadline: Instant, future: F) -> Result<F::Output, Elapsed> {
    let scope = CancelScope::with_deadline(deadline);
    match scope.run(future).await {
        Some(output) => Ok(output),
        None => Err(Elapsed::new()),
    }
}

/// `now + timeout`, saturating far in the future instead of overflowing.
fn deadline_after(timeout: Duration) -> Instant {
    let now = crate::time::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}
