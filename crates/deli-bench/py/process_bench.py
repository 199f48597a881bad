"""The Python side of deli-bench's `process` suite.

Runs the same jobs as the Rust side through
concurrent.futures.ProcessPoolExecutor and times them the same way: the
pool is built and warmed up once; then, for each command read from stdin,
one timed run (submit every job, wait for every result) whose duration in
nanoseconds is printed on one line of stdout.

Commands: `tiny <jobs>` (jobs that return their integer argument),
`cpu <jobs> <rounds>` (jobs that chain SHA-256 <rounds> times; the first
digest is printed after the time so the Rust side can check the work was
the same), `quit`.
"""

import hashlib
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def identity(n):
    return n


def hash_chain(rounds):
    digest = b"deli"
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def main():
    workers = int(sys.argv[1])
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(identity, range(workers * 8)))
        for line in sys.stdin:
            command = line.split()
            if not command:
                continue
            if command[0] == "quit":
                break
            if command[0] == "tiny":
                jobs = int(command[1])
                start = time.perf_counter_ns()
                futures = [pool.submit(identity, n) for n in range(jobs)]
                total = sum(future.result() for future in futures)
                elapsed = time.perf_counter_ns() - start
                assert total == jobs * (jobs - 1) // 2
                print(elapsed, flush=True)
            elif command[0] == "cpu":
                jobs, rounds = int(command[1]), int(command[2])
                start = time.perf_counter_ns()
                futures = [pool.submit(hash_chain, rounds) for _ in range(jobs)]
                digests = [future.result() for future in futures]
                elapsed = time.perf_counter_ns() - start
                print(elapsed, digests[0], flush=True)
            else:
                print("unknown command", flush=True)


if __name__ == "__main__":
    main()
