#[deli::test]
async fn generic<'a>() {}

fn main() {}
