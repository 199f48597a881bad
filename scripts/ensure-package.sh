#!/usr/bin/env bash
# Makes sure a command from a Debian package is on this machine:
# installs the package with apt-get (as root) when the command is missing.
# Never fails: where it cannot install, it says so once, and the tests that
# need the command skip themselves with a message of their own.
#
#   ./scripts/ensure-package.sh redis-server redis-server
#   ./scripts/ensure-package.sh chromium chromium
set -uo pipefail
command_name="$1"
package="$2"

if command -v "$command_name" >/dev/null 2>&1; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null || true
fi
if ! command -v "$command_name" >/dev/null 2>&1; then
    echo "ensure-package: $command_name (Debian package $package) is not installed and could not be installed"
fi
exit 0
