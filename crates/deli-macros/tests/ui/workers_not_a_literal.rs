const N: usize = 4;

#[deli::main(workers = N)]
async fn main() {}
