#[deli::main]
fn main() {}
