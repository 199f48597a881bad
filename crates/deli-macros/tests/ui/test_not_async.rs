#[deli::test]
fn plain() {}

fn main() {}
