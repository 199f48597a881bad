//! The combinator macros: [`select!`](crate::select!),
//! [`join!`](crate::join!) and [`try_join!`](crate::try_join!).
//!
//! The macros themselves are procedural (in `deli-macros`: a `select!`
//! branch starts with an arbitrary pattern, and every macro numbers its
//! futures, which `macro_rules!` cannot do). This module owns their
//! documentation and the run-time pieces their expansions call through the
//! hidden `deli::__private` path, so that a crate that depends only on
//! `deli` can use them: the per-future state of `join!` ([`private::MaybeDone`])
//! and `select!`'s random starting branch. It uses nothing else in deli.

pub mod private;

/// Waits on several futures at once and runs the handler of the first one
/// that completes with an output matching its pattern.
///
/// ```text
/// deli::select! {
///     [biased;]
///     <pattern> = <future> [, if <precondition>] => <handler>,
///     ...
///     [else => <handler>]
/// }
/// ```
///
/// - Every `<precondition>` is evaluated first; a branch whose precondition
///   is false is disabled: its future is still created but never polled.
/// - All futures are then created and polled in place, in the task that
///   runs the `select!` (no spawning, no allocation). By default each poll
///   starts at a randomly chosen branch so that no branch can starve the
///   others; `biased;` as the first token polls them in the order written.
/// - When a future completes, its branch is disabled. If its output matches
///   `<pattern>`, the other futures are dropped and `<handler>` runs with
///   the pattern's bindings; its value is the value of the `select!`. If it
///   does not match, the output is dropped and the other branches keep
///   going.
/// - When every branch is disabled, the `else` handler runs. Without an
///   `else` that is a bug in the calling code and `select!` panics, as
///   tokio's does.
///
/// Handlers run outside the polling loop, so `return`, `?`, `break` and
/// `continue` in them act on the enclosing function or loop. `select!`
/// must be used inside an `async` context.
///
/// # Examples
///
/// A time limit and a channel, whichever comes first:
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let (tx, mut rx) = deli::sync::mpsc::channel::<u32>(4);
///     tx.send(7).await.unwrap();
///     let got = deli::select! {
///         Some(n) = rx.recv() => n,
///         _ = deli::sleep(Duration::from_secs(5)) => 0,
///     };
///     assert_eq!(got, 7);
/// });
/// ```
///
/// A pattern that does not match disables its branch; `else` catches the
/// case where none is left:
///
/// ```
/// deli::run(async {
///     let ready = true;
///     let value = deli::select! {
///         biased;
///         Some(n) = async { None::<u8> } => n,
///         n = async { 2u8 }, if !ready => n,
///         else => 9,
///     };
///     assert_eq!(value, 9);
/// });
/// ```
#[doc(inline)]
pub use deli_macros::select;

/// Runs several futures concurrently in the current task and waits for all
/// of them; the value is the tuple of their outputs, in the order written.
///
/// The futures are polled in place (no spawning), so they run concurrently
/// but not in parallel; spawn them and join their tickets for that.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// deli::run(async {
///     let start = Instant::now();
///     let (a, b) = deli::join!(
///         async { deli::sleep(Duration::from_millis(20)).await; 1 },
///         async { deli::sleep(Duration::from_millis(20)).await; "two" },
///     );
///     assert_eq!((a, b), (1, "two"));
///     // Both sleeps ran at the same time.
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
#[doc(inline)]
pub use deli_macros::join;

/// Like [`join!`](crate::join!) for futures whose outputs are `Result`s
/// with one error type: `Ok` with the tuple of the `Ok` values, or the first
/// `Err` as soon as it happens, dropping (and so cancelling) the futures
/// still running.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// deli::run(async {
///     let result: Result<(u8, u8), &str> = deli::try_join!(
///         async { deli::sleep(Duration::from_secs(3600)).await; Ok(1) },
///         async { Err("bad input") },
///     );
///     assert_eq!(result, Err("bad input")); // at once, not after an hour
/// });
/// ```
#[doc(inline)]
pub use deli_macros::try_join;
