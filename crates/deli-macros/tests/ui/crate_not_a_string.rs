#[deli::main(crate = deli)]
async fn main() {}
