"""The Python side of deli-bench's `python` suite.

Builds four pools of `workers` processes once, before any timed run, and
warms each one: deli.ProcessPoolExecutor (`deli`),
concurrent.futures.ProcessPoolExecutor (`cf`), loky's reusable executor
(`loky`) and pebble.ProcessPool (`pebble`). Then, for each command read
from stdin, one timed run on one pool — submit every job, wait for every
result — whose duration in nanoseconds is printed on one line of stdout.

Commands:
  `calibrate <ms>`          prints how many SHA-256 rounds take <ms> here
  `tiny <pool> <jobs>`      jobs that return their integer argument
  `cpu <pool> <jobs> <rounds>`  jobs that chain SHA-256 <rounds> times; every
                            digest is checked against one computed here
  `quit`
A failed check prints `error <why>` instead of a time.

Every run starts from the same state: the previous run's futures are
dropped and collected before the clock starts (left alive, 20,000 futures
of one pool made the garbage collector of the next pool's run, whichever
it was, walk them over and over).
"""

import gc
import sys
import time

import deli
import loky
import pebble
from concurrent.futures import ProcessPoolExecutor

from python_bench_jobs import hash_chain, identity


def submit_all(name, pool, fn, args):
    """Submits fn(arg) for every arg; returns the futures in order."""
    if name == "pebble":
        return [pool.schedule(fn, args=(arg,)) for arg in args]
    return [pool.submit(fn, arg) for arg in args]


def calibrate(millis):
    rounds = 1000
    while True:
        start = time.perf_counter()
        hash_chain(rounds)
        elapsed = time.perf_counter() - start
        if elapsed >= 0.05:
            return max(1, int(rounds / elapsed * millis / 1000))
        rounds *= 2


def main():
    workers = int(sys.argv[1])
    pools = {
        "deli": deli.ProcessPoolExecutor(workers),
        "cf": ProcessPoolExecutor(max_workers=workers),
        "loky": loky.get_reusable_executor(max_workers=workers, reuse=True),
        "pebble": pebble.ProcessPool(max_workers=workers),
    }
    # Start-up outside the timed runs: every worker of every pool is up and
    # has run both jobs before the first command.
    for name, pool in pools.items():
        for future in submit_all(name, pool, identity, range(workers * 8)):
            future.result()
        for future in submit_all(name, pool, hash_chain, [10] * (workers * 2)):
            future.result()
    expected = {}
    try:
        for line in sys.stdin:
            command = line.split()
            if not command:
                continue
            if command[0] == "quit":
                break
            if command[0] == "calibrate":
                print(calibrate(float(command[1])), flush=True)
                continue
            name = command[1] if len(command) > 1 else ""
            pool = pools.get(name)
            if pool is None:
                print("error unknown command %r" % line.strip(), flush=True)
                continue
            futures = digests = None
            gc.collect()
            if command[0] == "tiny":
                jobs = int(command[2])
                start = time.perf_counter_ns()
                futures = submit_all(name, pool, identity, range(jobs))
                total = sum(future.result() for future in futures)
                elapsed = time.perf_counter_ns() - start
                if total != jobs * (jobs - 1) // 2:
                    print("error %s returned a wrong sum %d" % (name, total), flush=True)
                    continue
                print(elapsed, flush=True)
            elif command[0] == "cpu":
                jobs, rounds = int(command[2]), int(command[3])
                if rounds not in expected:
                    expected[rounds] = hash_chain(rounds)
                start = time.perf_counter_ns()
                futures = submit_all(name, pool, hash_chain, [rounds] * jobs)
                digests = [future.result() for future in futures]
                elapsed = time.perf_counter_ns() - start
                if any(digest != expected[rounds] for digest in digests):
                    print("error %s computed a different chain" % name, flush=True)
                    continue
                print(elapsed, flush=True)
            else:
                print("error unknown command %r" % line.strip(), flush=True)
    finally:
        for name, pool in pools.items():
            if name == "pebble":
                pool.close()
                pool.join()
            else:
                pool.shutdown(wait=True)


if __name__ == "__main__":
    main()
