#!/usr/bin/env bash
# The test command: every test of the workspace (unit, integration, doc),
# then the Python package's tests and the loom models of the lock-free
# structures. Needs a Rust toolchain (cargo); crates come from crates.io,
# redis-server and chromium from Debian's packages
# (scripts/ensure-package.sh), maturin and pytest from PyPI
# (scripts/test-python.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's packages the tests use, installed in one go where missing: the
# lab report's browser test renders the report in Chromium
# (crates/deli-cli/tests/report_browser.rs), the cluster tests run against
# redis-server (started by with-redis.sh below). Tests skip without them.
./scripts/ensure-package.sh chromium chromium redis-server redis-server

# --all-features: the `tokio-io` interop tests (tokio-util, hyper) and the
# cluster tests run too, the latter against the redis-server that
# with-redis.sh starts on loopback and stops afterwards.
./scripts/with-redis.sh cargo test --workspace --all-targets --all-features
cargo test --workspace --doc --all-features
# The library's docs build without a broken or private link.
RUSTDOCFLAGS="-D warnings" cargo doc -p deli --all-features --no-deps
# The runtime's modules import each other one way only (needs python3).
if command -v python3 > /dev/null; then
    python3 scripts/runtime-imports.py > /dev/null
fi

# The Python package (crates/deli-py): skips itself without python3.
./scripts/test-python.sh

# Loom models (run queue, task state machine) in their own target dir, so
# the `--cfg loom` build does not invalidate the normal one.
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p deli --lib --release loom_
