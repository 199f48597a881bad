//! Compile-time behaviour of `#[deli::main]` and `#[deli::test]`: every
//! mistake in `tests/ui` is rejected with the message in its `.stderr`, and
//! every program in `tests/pass` builds and runs.
//!
//! After an intended change of message, regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p deli-macros --test ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
