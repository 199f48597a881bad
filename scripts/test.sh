#!/usr/bin/env bash
# The test command: every test of the workspace (unit, integration, doc),
# then the loom models of the lock-free structures. Needs only a Rust
# toolchain (cargo); everything else comes from crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."

# --all-features: the `tokio-io` interop tests (tokio-util, hyper) run too.
cargo test --workspace --all-targets --all-features
cargo test --workspace --doc --all-features
./scripts/test-cluster.sh

# The Python package (crates/deli-py): skips itself without python3.
./scripts/test-python.sh

# Loom models (run queue, task state machine) in their own target dir, so
# the `--cfg loom` build does not invalidate the normal one.
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p deli --lib --release loom_
