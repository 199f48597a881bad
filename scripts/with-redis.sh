#!/usr/bin/env bash
# Runs a command with a real redis-server on loopback: installs the Debian
# package if it is missing (apt-get, as root), starts a server on a free
# port with no persistence in a temp dir, exports its URL as
# DELI_TEST_REDIS_URL, runs the command, and stops the server whatever
# happens. Where redis-server cannot be installed the command still runs,
# and the cluster tests skip themselves with a message.
#
#   ./scripts/with-redis.sh cargo test -p deli --features cluster --test cluster
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/ensure-package.sh redis-server redis-server
if ! command -v redis-server >/dev/null 2>&1; then
    echo "with-redis: redis-server is not installed and could not be installed; the cluster tests will skip"
    exec "$@"
fi

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 16399)"
redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 250); do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then break; fi
    sleep 0.02
done

export DELI_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
"$@"
