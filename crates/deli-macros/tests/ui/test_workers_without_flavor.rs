#[deli::test(workers = 2)]
async fn busy() {}

fn main() {}
