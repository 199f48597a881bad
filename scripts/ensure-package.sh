#!/usr/bin/env bash
# Makes sure commands from Debian packages are on this machine: installs
# the packages of the missing ones with apt-get (as root), with one
# `apt-get update` for all of them. Never fails: where it cannot install,
# it says so once per command, and the tests that need the command skip
# themselves with a message of their own.
#
#   ./scripts/ensure-package.sh COMMAND PACKAGE [COMMAND PACKAGE ...]
#   ./scripts/ensure-package.sh chromium chromium redis-server redis-server
set -uo pipefail

missing=()
while [ "$#" -ge 2 ]; do
    if ! command -v "$1" >/dev/null 2>&1; then
        missing+=("$1" "$2")
    fi
    shift 2
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    packages=()
    for ((i = 1; i < ${#missing[@]}; i += 2)); do
        packages+=("${missing[i]}")
    done
    apt-get update -qq || true
    # One package apt cannot find fails the whole batch: then one by one.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null; then
        for package in "${packages[@]}"; do
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null || true
        done
    fi
fi
for ((i = 0; i < ${#missing[@]}; i += 2)); do
    if ! command -v "${missing[i]}" >/dev/null 2>&1; then
        echo "ensure-package: ${missing[i]} (Debian package ${missing[i + 1]}) is not installed and could not be installed"
    fi
done
exit 0
