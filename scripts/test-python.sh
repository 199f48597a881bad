#!/usr/bin/env bash
# The Python package's tests: builds `deli` (crates/deli-py) into a virtual
# environment of its own, with maturin and pytest from PyPI, and runs its
# pytest suite. Skips (exit 0) where there is no python3.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
    echo "test-python: python3 not found; skipping the Python package's tests"
    exit 0
fi

venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.5,<2" "pytest>=7" "pytest-timeout>=2"

# A debug build into the workspace's target dir (shares the Rust build).
VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH" \
    "$venv/bin/maturin" develop --quiet -m crates/deli-py/Cargo.toml

# pytest exits 5 when it collects nothing: that is a failure here too.
"$venv/bin/python" -m pytest -q -p no:cacheprovider crates/deli-py/tests "$@"
