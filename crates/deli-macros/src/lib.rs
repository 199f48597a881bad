//! Attribute macros that run an `async fn` on a deli runtime:
//! [`macro@main`] for a program's entry point and [`macro@test`] for tests;
//! and [`macro@job`], which registers a function for deli's process pool.
//!
//! Use them through the `deli` crate, which re-exports them as
//! `#[deli::main]` and `#[deli::test]`. The generated code names only items of
//! `deli` (by default through `::deli`), so a crate needs `deli` as a
//! dependency, not this crate.
//!
//! ```
//! #[deli::main]
//! async fn main() {
//!     println!("hello from a deli runtime");
//! }
//! ```
//!
//! # What the macros write
//!
//! The `async fn` becomes a plain `fn` with the same name, visibility,
//! attributes, doc comments and return type. Its body becomes an
//! `async move` block whose output type is pinned to that return type (so `?`
//! and `return` inside it behave as in the original function), and the new
//! function builds a runtime and blocks on that block. For
//!
//! ```ignore
//! #[deli::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     /* body */
//! }
//! ```
//!
//! the expansion is, in outline:
//!
//! ```ignore
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     ::deli::process::init(); // a process-pool worker child stops here
//!     let body = async move { /* body */ }; // output: Result<(), Box<dyn Error>>
//!     let runtime = match ::deli::Runtime::builder()
//!         .flavor(::deli::Flavor::MultiThread)
//!         .build()
//!     {
//!         Ok(runtime) => runtime,
//!         Err(error) => panic!(
//!             "#[deli::main] could not build the deli runtime for `main`: {error}"
//!         ),
//!     };
//!     runtime.block_on(body)
//! }
//! ```
//!
//! `#[deli::test]` writes the same (without the `init` call), starts the function with
//! `#[::core::prelude::v1::test]` and uses a current-thread runtime unless
//! told otherwise.
//!
//! # Arguments
//!
//! Both macros take the same comma-separated arguments, each at most once:
//!
//! | argument | value | default |
//! |---|---|---|
//! | `flavor` | `"multi_thread"` or `"current_thread"` | `main`: `"multi_thread"`; `test`: `"current_thread"` |
//! | `workers` | an integer literal of at least 1; needs `flavor = "multi_thread"` | the runtime's own: one worker per core |
//! | `crate` | the path to deli as a string, for a renamed dependency | `"::deli"` |
//! | `start_paused` (tests only) | `true` or `false`: start with the runtime's clock paused (`deli::time::pause`); needs the current-thread flavor | `false` |
//!
//! Tests default to one thread, as in tokio, so that a test's interleavings
//! repeat from run to run; ask for `flavor = "multi_thread"` to test
//! parallel behaviour.
//!
//! # Mistakes are compile errors
//!
//! The macros never panic. A wrong input is reported as a compile error
//! pointing at the offending tokens: a missing `async`, parameters (for
//! example on `fn main`), generic parameters or a `where` clause, an unknown
//! or repeated argument, a value of the wrong kind (`flavor = current_thread`
//! without quotes, `workers = 0`, `workers = n`), `workers` on a
//! current-thread runtime, and, for tests, a `#[test]` written below
//! `#[deli::test]`.
//!
//! ```compile_fail
//! #[deli::main(flavor = "current_thread", workers = 4)] // error: `workers` cannot be used
//! async fn main() {}                                    //        with `flavor = "current_thread"`
//! ```
//!
//! # A runtime that cannot be built panics
//!
//! Building the runtime can fail at run time (for example when the system
//! refuses to start threads). There is no caller to hand that error to, so
//! the generated function panics with a message naming the attribute, the
//! function and the error. At the start of a program or a test that is the
//! usual way to fail; programs that want to handle it should build a
//! `deli::Runtime` by hand instead of using `#[deli::main]`.

mod args;
mod expand;
mod function;
mod job;
mod join;
mod select;

use args::Kind;
use proc_macro::TokenStream;

/// Runs an `async fn` — usually `main` — to completion on a new deli runtime.
///
/// By default the runtime is multi-threaded with one worker per core. The
/// function keeps its name, visibility, attributes, doc comments and return
/// type; see the [crate docs](crate) for the expansion and every argument.
///
/// # Examples
///
/// The return type is kept, and `?` and `return` work inside the body:
///
/// ```
/// use std::error::Error;
///
/// #[deli::main]
/// async fn main() -> Result<(), Box<dyn Error>> {
///     let answer: u32 = "42".parse()?;
///     if answer != 42 {
///         return Err("the answer changed".into());
///     }
///     Ok(())
/// }
/// ```
///
/// Choosing the runtime:
///
/// ```
/// #[deli::main(flavor = "multi_thread", workers = 2)]
/// async fn main() {
///     // Runs on a runtime with two worker threads.
/// }
/// ```
///
/// ```
/// #[deli::main(flavor = "current_thread")]
/// async fn main() {
///     // Everything runs on the thread that called `main`.
/// }
/// ```
///
/// With deli under another name, `crate` says where to find it:
///
/// ```
/// extern crate deli as my_deli;
///
/// #[my_deli::main(crate = "::my_deli")]
/// async fn main() {}
/// ```
///
/// Parameters are an error, as for any `fn main`:
///
/// ```compile_fail
/// #[deli::main]
/// async fn main(args: Vec<String>) {} // error: `fn main` cannot take parameters
/// ```
///
/// # Panics
///
/// The generated function panics if the runtime cannot be built; see
/// [the crate docs](crate#a-runtime-that-cannot-be-built-panics).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, args.into(), item.into()).into()
}

/// Makes an `async fn` a test that runs on its own deli runtime.
///
/// The function becomes a `#[test]`. Do not write `#[test]` as well: below
/// `#[deli::test]` it is rejected by this macro, and above it rustc itself
/// rejects the function ("async functions cannot be used for tests"), so a
/// test is never registered twice. Each test builds a
/// fresh runtime, by default a current-thread one so its interleavings repeat
/// from run to run. Other attributes such as `#[should_panic]` and
/// `#[ignore]` are kept, and so is the return type, so a test may return a
/// `Result`. See the [crate docs](crate) for the expansion and every argument.
///
/// # Examples
///
/// ```
/// #[deli::test]
/// async fn adds() {
///     let sum = async { 1 + 1 }.await;
///     assert_eq!(sum, 2);
/// }
///
/// #[deli::test(flavor = "multi_thread", workers = 2)]
/// async fn on_two_workers() -> Result<(), std::num::ParseIntError> {
///     let n: u8 = "7".parse()?;
///     assert_eq!(n, 7);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// `start_paused = true` starts the test's clock paused, so timers fire as
/// soon as every task is idle (see `deli::time::pause`):
///
/// ```
/// use std::time::Duration;
///
/// #[deli::test(start_paused = true)]
/// async fn an_hour_in_no_time() {
///     let real = std::time::Instant::now();
///     deli::sleep(Duration::from_secs(3600)).await;
///     assert!(real.elapsed() < Duration::from_secs(60));
/// }
/// # fn main() {}
/// ```
///
/// Auto-advance needs the current-thread flavor, so this is refused:
///
/// ```compile_fail
/// #[deli::test(flavor = "multi_thread", start_paused = true)] // error: `start_paused`
/// async fn paused() {}                                         // needs "current_thread"
/// # fn main() {}
/// ```
///
/// `workers` needs the multi-thread flavor, which tests do not use by default:
///
/// ```compile_fail
/// #[deli::test(workers = 2)] // error: `workers` needs `flavor = "multi_thread"`
/// async fn busy() {}
/// # fn main() {}
/// ```
///
/// # Panics
///
/// The generated test panics (and so fails) if the runtime cannot be built.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, args.into(), item.into()).into()
}

/// Registers a function as a process-pool job; see `deli::process`.
///
/// The function stays callable as before under a hidden name, and its
/// name becomes a constant `deli::process::Job<A, R>` to submit by: `A` is
/// its one parameter's type, or the tuple of its parameters' types; `R` is
/// its return type, or `T` when it returns `Result<T, E>` (an `Err` comes
/// back as `JobError::Remote` with the error's text). Parameter and value
/// types must be serde types. Generic, `async` and method functions are
/// refused at compile time. Because the name is now a constant, a `let`
/// with the same name in the same module would be read as a pattern on it:
/// give such bindings other names.
///
/// ```
/// #[deli::job]
/// fn add(a: u64, b: u64) -> u64 {
///     a + b
/// }
///
/// let handle: deli::process::Job<(u64, u64), u64> = add;
/// assert!(handle.name().ends_with("::add"));
/// ```
#[proc_macro_attribute]
pub fn job(args: TokenStream, item: TokenStream) -> TokenStream {
    job::expand(args.into(), item.into()).into()
}

/// Waits on several futures at once and runs the handler of the first whose
/// output matches its pattern; see `deli::select!` for the full syntax.
///
/// ```
/// deli::run(async {
///     let picked = deli::select! {
///         n = async { 1 } => n,
///         n = std::future::pending::<i32>() => n,
///     };
///     assert_eq!(picked, 1);
/// });
/// ```
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    select::expand(input.into()).into()
}

/// Runs several futures concurrently and waits for all of them, giving a
/// tuple of their outputs; see `deli::join!`.
///
/// ```
/// deli::run(async {
///     let (a, b) = deli::join!(async { 1 }, async { "two" });
///     assert_eq!((a, b), (1, "two"));
/// });
/// ```
#[proc_macro]
pub fn join(input: TokenStream) -> TokenStream {
    join::expand(join::Join::All, input.into()).into()
}

/// Like `join!` for futures that return `Result`s: the first `Err` is
/// returned at once and the other futures are dropped; see `deli::try_join!`.
///
/// ```
/// deli::run(async {
///     let both: Result<(u8, u8), String> = deli::try_join!(async { Ok(1) }, async { Ok(2) });
///     assert_eq!(both, Ok((1, 2)));
/// });
/// ```
#[proc_macro]
pub fn try_join(input: TokenStream) -> TokenStream {
    join::expand(join::Join::Try, input.into()).into()
}
