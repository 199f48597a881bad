#[deli::main(flavour = "current_thread")]
fn main(count: usize) {
    drop(count);
}
