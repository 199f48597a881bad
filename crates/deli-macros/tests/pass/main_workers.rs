//! An explicit worker count and a spelled-out crate path.

#[deli::main(flavor = "multi_thread", workers = 2, crate = "::deli")]
async fn main() {
    let values = [std::future::ready(1).await, std::future::ready(2).await];
    assert_eq!(values.iter().sum::<i32>(), 3);
}
