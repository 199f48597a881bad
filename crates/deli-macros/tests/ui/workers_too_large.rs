#[deli::main(workers = 100000000000000000000000)]
async fn main() {}
