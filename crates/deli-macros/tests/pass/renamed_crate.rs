//! `crate = "..."` reaches deli under another name.

extern crate deli as kitchen;

#[kitchen::main(crate = "kitchen")]
async fn main() {}
