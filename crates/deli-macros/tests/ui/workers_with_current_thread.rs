#[deli::main(flavor = "current_thread", workers = 4)]
async fn main() {}
