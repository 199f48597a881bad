"""Job functions the tests send to worker processes (importable by name,
as pickled callables must be)."""

import ctypes
import os
import signal
import sys
import time

MARK = None


def identity(x):
    return x


def pid():
    return os.getpid()


def add(a, b):
    return a + b


def fail(message):
    raise ValueError(message)


class Custom(Exception):
    pass


def fail_custom(code):
    raise Custom(code)


def nap(seconds):
    time.sleep(seconds)
    return seconds


def nap_and_mark(path, seconds):
    """Writes this worker's pid to `path`, then sleeps."""
    with open(path + ".tmp", "w") as out:
        out.write(str(os.getpid()))
    os.rename(path + ".tmp", path)
    time.sleep(seconds)
    return "woke"


def touch(path):
    with open(path, "w") as out:
        out.write("ran")
    return path


def segfault():
    ctypes.string_at(0)


def exit_with(code):
    os._exit(code)


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def allocate(megabytes):
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def crash_every_tenth(n):
    if n % 10 == 7:
        os._exit(1)
    return n * 2


def unpicklable_result():
    return lambda: None


def chatty(n):
    # Frame-like bytes on stdout and stderr, through Python and through fd 1.
    sys.stdout.write("\x05\x00\x00\x00\x00hello " * 20 + "\n")
    sys.stderr.write("noise on stderr\n")
    os.write(1, b"\x01\x00\x00\x00\x00" * 10 + b"\n")
    print("job", n)
    return n


def set_mark(value):
    global MARK
    MARK = value


def read_mark():
    return MARK, os.getpid()


def env(key):
    return os.environ.get(key)


def nested_pool_sum(n):
    """Starts a pool of its own inside a worker (after the worker's start-up,
    which is allowed) and sums ``range(n)`` on it."""
    import deli

    with deli.ProcessPoolExecutor(1) as pool:
        return sum(pool.map(identity, range(n)))
