//! Structured concurrency: work that cannot leak and waits that cannot
//! last forever.
//!
//! This module owns [`scope`] (a body and its children — async tasks,
//! thread-pool jobs, process jobs — none of which outlives it; the first
//! failure cancels the rest and every failure is reported), [`CancelScope`]
//! (a region cancelled from outside or by a deadline that can be moved,
//! with shielding and nesting), and the shorthands [`move_on_after`],
//! [`move_on_at`], [`fail_after`], [`fail_at`]. The semantics follow trio's
//! nurseries and cancel scopes and asyncio's `TaskGroup`/`timeout`.
//!
//! It sits above the runtime, the thread pool and the process pool, whose
//! crate-internal spawn functions it calls; nothing below calls it.
//!
//! # Cancellation
//!
//! Cancellation is level-triggered: a cancelled scope stays cancelled, and
//! the code inside is dropped at the first await that is not ready — now
//! if it is waiting, else at its next wait. In Rust "cancel" means "drop
//! the future": destructors run, nothing resumes. Scopes and shields that
//! must finish first *hold* the scopes around them, which keep polling them
//! until they are done. Holding covers a whole run: while a shield is
//! running, the cancelled scopes around it keep polling what they run, so
//! an unshielded sibling joined with the shield (`join(shielded, other)`)
//! runs on until the shield ends, and is dropped at its first await after.
//!
//! Async children of a [`scope`] run inside it in the tree, each in a node
//! of its own: the scope's cancellation reaches them, and what they run
//! (a nested scope, a shield) is waited for like the scope's own body.
//! `Ticket::cancel` of a task, by contrast, drops its future at the next
//! poll whatever it runs.
//!
//! # Cancel safety
//!
//! What a future dropped mid-await loses, for deli's own await points:
//!
//! | await | on cancel |
//! |---|---|
//! | a [`Ticket`](crate::Ticket) | nothing: the work runs on, detached (cancel it, or use a scope, to stop it) |
//! | [`sleep`](crate::sleep), [`timeout`](crate::timeout), intervals | nothing |
//! | socket reads, `accept`, `recv` ([`net`](crate::net)) | nothing: data is only taken when the call completes |
//! | socket writes | a `write` that has not completed wrote nothing; a `write_all` may have written part |
//! | [`scope`] | the children are cancelled but not waited for (wrap it in a [`CancelScope`] instead, which waits) |
//! | [`CancelScope::run`] | the future inside is dropped |
//! | [`sync`](crate::sync) primitives | see each method's docs |
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! deli::run(async {
//!     // Whatever the children do, the deadline bounds the whole scope.
//!     let outcome = deli::fail_after(Duration::from_millis(20), deli::scope(|s| async move {
//!         for _ in 0..3 {
//!             s.spawn(deli::sleep(Duration::from_secs(60)));
//!         }
//!     }))
//!     .await;
//!     // The deadline reached the scope: it cancelled its children, waited
//!     // for them to end, and then the deadline took it.
//!     assert!(outcome.is_err());
//! });
//! ```

mod cancel_scope;
mod children;
mod error;
mod group;
mod node;

pub use cancel_scope::{fail_after, fail_at, move_on_after, move_on_at, CancelScope, Run};
pub use children::ChildOutput;
pub use error::{BoxError, ChildFailure, ChildKind, ScopeError};
pub use group::{scope, Scope, ScopeFuture};
pub use node::is_cancelled;
