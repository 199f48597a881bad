//! The default: a multi-thread runtime with one worker per core.

/// Doc comments and attributes stay on the generated `main`.
#[deli::main]
#[allow(unused_mut)]
async fn main() {
    let mut answer = std::future::ready(42).await;
    assert_eq!(answer, 42);
}
