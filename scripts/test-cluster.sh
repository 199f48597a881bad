#!/usr/bin/env bash
# The cluster tests alone (the test command runs them within the whole
# workspace's run): deli's cluster tests and the `deli worker` test,
# against the redis-server that with-redis.sh installs, starts on loopback
# and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/with-redis.sh bash -c '
    cargo test -p deli --features cluster --test cluster &&
    cargo test -p deli-cli --test worker'
