#[deli::main(current_thread)]
async fn main() {}
