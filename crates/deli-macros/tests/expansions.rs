//! The macros' expansions run on the real deli runtime: both flavors, return
//! types, `?`, `return`, kept attributes and the `crate` argument.
//!
//! `#[deli::main]` is used on helper functions here (any name works), so each
//! test can call one and check what it returns.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Pending once, then ready: the runtime must honour a wake-up to finish.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
}

#[deli::test]
async fn test_on_the_default_current_thread_runtime() {
    yield_once().await;
    assert_eq!(std::future::ready(1).await, 1);
}

#[deli::test(flavor = "current_thread")]
async fn test_on_an_explicit_current_thread_runtime() {
    yield_once().await;
}

#[deli::test(flavor = "multi_thread")]
async fn test_on_a_multi_thread_runtime() {
    yield_once().await;
}

#[deli::test(flavor = "multi_thread", workers = 2)]
async fn test_on_two_workers() {
    yield_once().await;
}

#[deli::test]
async fn test_may_return_a_result() -> Result<(), Box<dyn Error>> {
    let n: u8 = "7".parse()?;
    assert_eq!(n, 7);
    let fine: Result<(), &str> = Ok(());
    fine?; // `&str` converts into the declared `Box<dyn Error>`
    Ok(())
}

#[deli::test]
#[should_panic(expected = "from the body")]
async fn attributes_on_a_test_are_kept() {
    yield_once().await;
    panic!("from the body");
}

#[deli::test]
#[ignore = "shows that #[ignore] is kept; never runs"]
async fn ignored_test_stays_ignored() {
    panic!("an ignored test ran");
}

#[deli::main]
async fn answer_on_default_runtime() -> u32 {
    yield_once().await;
    42
}

#[deli::main(flavor = "current_thread")]
async fn answer_on_current_thread() -> u32 {
    yield_once().await;
    43
}

#[deli::main(flavor = "multi_thread", workers = 2)]
async fn answer_on_two_workers() -> u32 {
    yield_once().await;
    44
}

#[test]
fn main_runs_the_body_on_each_flavor() {
    assert_eq!(answer_on_default_runtime(), 42);
    assert_eq!(answer_on_current_thread(), 43);
    assert_eq!(answer_on_two_workers(), 44);
}

thread_local! {
    static INPUTS: std::cell::Cell<&'static [&'static str]> = const { std::cell::Cell::new(&[]) };
}

#[deli::main(flavor = "current_thread")]
async fn sum_inputs() -> Result<u32, Box<dyn Error>> {
    let mut total = 0;
    for text in INPUTS.with(std::cell::Cell::get) {
        let n: u32 = text.parse()?;
        if n == 0 {
            return Err("zero is not allowed".into());
        }
        total += n;
    }
    Ok(total)
}

fn sum_of(inputs: &'static [&'static str]) -> Result<u32, String> {
    INPUTS.with(|cell| cell.set(inputs));
    sum_inputs().map_err(|e| e.to_string())
}

#[test]
fn question_mark_and_return_infer_from_the_signature() {
    assert_eq!(sum_of(&["1", "2"]), Ok(3));
    assert!(sum_of(&["x", "2"]).is_err());
    assert_eq!(sum_of(&["0", "2"]), Err("zero is not allowed".to_owned()));
}

#[deli::main]
async fn early_return() -> u8 {
    for i in 0.. {
        if i == 5 {
            return i;
        }
    }
    0
}

#[test]
fn return_leaves_the_body_with_its_value() {
    assert_eq!(early_return(), 5);
}

#[deli::main]
async fn impl_trait_output() -> impl std::fmt::Display {
    "shown"
}

#[test]
fn impl_trait_return_types_are_kept() {
    assert_eq!(impl_trait_output().to_string(), "shown");
}

#[deli::main]
async fn names_like_the_expansion() -> u32 {
    let body = 1;
    let runtime = 2;
    let error = 3;
    let value = 4;
    body + runtime + error + value
}

#[test]
fn body_names_do_not_clash_with_generated_ones() {
    assert_eq!(names_like_the_expansion(), 10);
}

/// Doc comments stay on the generated function.
#[deli::main]
pub async fn documented() -> &'static str {
    "documented"
}

#[test]
fn public_documented_function_still_works() {
    assert_eq!(documented(), "documented");
}

mod renamed {
    extern crate deli as my_deli;

    #[my_deli::test(crate = "my_deli")]
    async fn crate_argument_reaches_a_renamed_deli() {
        super::yield_once().await;
    }
}

macro_rules! main_with_workers {
    ($name:ident, $workers:expr) => {
        #[deli::main(flavor = "multi_thread", workers = $workers)]
        async fn $name() -> usize {
            $workers
        }
    };
}

main_with_workers!(three_workers_from_macro_rules, 3);

#[test]
fn arguments_may_come_from_macro_rules() {
    assert_eq!(three_workers_from_macro_rules(), 3);
}
