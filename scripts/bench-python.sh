#!/usr/bin/env bash
# The environment of deli-bench's `python` suite: target/bench-venv with
# maturin, loky and pebble from PyPI and a release build of the `deli`
# package (crates/deli-py) installed as a wheel. Prints the venv's python on
# its last line of stdout. Exits 0 with one line on stderr and nothing on
# stdout where python3 or the installs are unavailable.
set -uo pipefail
cd "$(dirname "$0")/.."

skip() {
    echo "bench-python: $1" >&2
    exit 0
}

command -v python3 >/dev/null 2>&1 || skip "python3 not found"

venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2 || skip "python3 -m venv failed"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.5,<2" loky pebble >&2 || skip "pip could not install maturin, loky and pebble"

# The wheel goes to a directory of its own so an older one is never picked.
wheels=target/bench-wheels
rm -rf "$wheels"
VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH" \
    "$venv/bin/maturin" build --release --quiet -m crates/deli-py/Cargo.toml \
    --interpreter "$venv/bin/python" --out "$wheels" >&2 ||
    skip "maturin could not build the deli wheel"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --force-reinstall --no-deps "$wheels"/deli-*.whl >&2 ||
    skip "pip could not install the deli wheel"
"$venv/bin/python" -c "import deli, loky, pebble" >&2 ||
    skip "the bench venv cannot import deli, loky and pebble"
echo "$PWD/$venv/bin/python"
