//! `#[deli::main]`'s sibling `#[deli::test]`, used the way users use it.

use std::time::Duration;

#[deli::test]
async fn a_test_runs_on_a_current_thread_runtime() {
    let ticket = deli::spawn(async { 2 + 2 });
    deli::sleep(Duration::from_millis(1)).await;
    assert_eq!(ticket.await, Ok(4));
}

#[deli::test(flavor = "multi_thread", workers = 2)]
async fn a_test_can_ask_for_two_workers() -> Result<(), deli::JobError> {
    let a = deli::spawn(async { std::thread::current().name().map(str::to_owned) });
    let name = a.await?;
    assert!(name.is_some_and(|name| name.starts_with("deli-worker")));
    Ok(())
}
