import os
import time

import pytest

import deli


@pytest.fixture
def pool():
    with deli.ProcessPoolExecutor(2) as executor:
        yield executor


def wait_for(predicate, seconds=30.0):
    """Polls `predicate` until it holds; fails the test past `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met within %s s" % seconds)


def read_pid(path):
    def ready():
        try:
            with open(path) as source:
                return int(source.read())
        except (FileNotFoundError, ValueError):
            return None

    return wait_for(ready)


def is_alive(pid):
    """Whether `pid` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        # Gone, possibly between opening its stat file and reading it.
        return False
    return state != "Z"


def children():
    """Pids whose parent is this process (zombies included)."""
    mine = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == mine:
            found.append(int(entry))
    return found
