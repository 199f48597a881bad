"""The Python side of `deli lab`: the lab's jobs run with Python's own tools.

Usage: lab.py MODE WORKLOAD JOBS ROUNDS HOST PORT WORKERS
       lab.py calibrate TARGET_NS

MODE is sequential, threads (one threading.Thread per job), processes
(concurrent.futures.ProcessPoolExecutor with WORKERS processes),
deli-processes (deli.ProcessPoolExecutor, from crates/deli-py, with WORKERS
processes; exits with one line when `deli` is not importable) or asyncio
(one event loop, CPU work inline in the coroutines). WORKLOAD is io, cpu or
mixed, the same jobs as the Rust side: a TCP round trip to the lab's delay
server (send "<job>\\n", read the token line), SHA-256 chained ROUNDS times
from "deli-lab-<job>", or the round trip then the chain from its token.

`calibrate` prints how many SHA-256 rounds take about TARGET_NS
nanoseconds of this thread's CPU time in this interpreter (CPU time, and
the fastest of a few timings, so a busy neighbour makes the job no
smaller), for the lab to size Python's CPU job to the same time as the
Rust side's.

A run prints one JSON object on stdout: the run's start and end on
CLOCK_MONOTONIC (nanoseconds, the clock the Rust side reads), its CPU time
(this process and its reaped children), and per job its value and spans
(lane, state Running or Waiting, start and end).
"""

import asyncio
import hashlib
import json
import os
import resource
import socket
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

IO_BOUND_SECONDS = 30


def now():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def cpu_ns():
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
    return int(seconds * 1e9)


def chain(seed, rounds):
    digest = seed
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def span(lane, state, start):
    return {"lane": lane, "state": state, "start_ns": start, "end_ns": now()}


def fetch(address, job):
    with socket.create_connection(address, timeout=IO_BOUND_SECONDS) as stream:
        stream.sendall(b"%d\n" % job)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = stream.recv(64)
            if not chunk:
                raise ConnectionError("the delay server closed early")
            reply += chunk
    return reply.decode().strip()


def run_job(workload, job, rounds, address, lane):
    spans = []
    if workload == "cpu":
        seed = ("deli-lab-%d" % job).encode()
    else:
        start = now()
        reply = fetch(address, job)
        spans.append(span(lane, "Waiting", start))
        if workload == "io":
            return {"job": job, "value": reply, "spans": spans}
        seed = reply.encode()
    start = now()
    value = chain(seed, rounds)
    spans.append(span(lane, "Running", start))
    return {"job": job, "value": value, "spans": spans}


def process_job(arguments):
    workload, job, rounds, address = arguments
    return run_job(workload, job, rounds, address, "process %d" % os.getpid())


async def fetch_async(address, job):
    reader, writer = await asyncio.open_connection(*address)
    try:
        writer.write(b"%d\n" % job)
        await writer.drain()
        line = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    if not line.endswith(b"\n"):
        raise ConnectionError("the delay server closed early")
    return line.decode().strip()


async def job_async(workload, job, rounds, address):
    lane = "event loop"
    spans = []
    if workload == "cpu":
        seed = ("deli-lab-%d" % job).encode()
    else:
        start = now()
        reply = await asyncio.wait_for(fetch_async(address, job), IO_BOUND_SECONDS)
        spans.append(span(lane, "Waiting", start))
        if workload == "io":
            return {"job": job, "value": reply, "spans": spans}
        seed = reply.encode()
    start = now()
    value = chain(seed, rounds)
    spans.append(span(lane, "Running", start))
    return {"job": job, "value": value, "spans": spans}


async def all_async(workload, jobs, rounds, address):
    tasks = [asyncio.create_task(job_async(workload, job, rounds, address)) for job in range(jobs)]
    return await asyncio.gather(*tasks)


def threads(workload, jobs, rounds, address):
    outputs = [None] * jobs
    errors = []

    def body(job):
        try:
            lane = "thread %s" % threading.current_thread().name
            outputs[job] = run_job(workload, job, rounds, address, lane)
        except Exception as error:  # reported by the main thread
            errors.append("job %d: %r" % (job, error))

    started = [threading.Thread(target=body, args=(job,), name="%d" % job) for job in range(jobs)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    if errors:
        raise RuntimeError("; ".join(errors))
    return outputs


def sequential(workload, jobs, rounds, address, workers):
    return [run_job(workload, job, rounds, address, "main") for job in range(jobs)]


def threads_mode(workload, jobs, rounds, address, workers):
    return threads(workload, jobs, rounds, address)


def processes(workload, jobs, rounds, address, workers):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        arguments = [(workload, job, rounds, address) for job in range(jobs)]
        return list(pool.map(process_job, arguments))


def deli_processes(workload, jobs, rounds, address, workers):
    try:
        import deli
    except ImportError:
        sys.exit("deli is not importable by this python (pip install ./crates/deli-py); skipped")
    with deli.ProcessPoolExecutor(max_workers=workers) as pool:
        arguments = [(workload, job, rounds, address) for job in range(jobs)]
        return list(pool.map(process_job, arguments))


def asyncio_mode(workload, jobs, rounds, address, workers):
    return asyncio.run(all_async(workload, jobs, rounds, address))


# The modes by the name the lab passes: a new mode is one function and one
# line here (and its row on the Rust side).
MODES = {
    "sequential": sequential,
    "threads": threads_mode,
    "processes": processes,
    "deli-processes": deli_processes,
    "asyncio": asyncio_mode,
}


def cpu_timed(rounds):
    start = time.thread_time_ns()
    chain(b"calibrate", rounds)
    return time.thread_time_ns() - start


def calibrate(target_ns):
    rounds = 1000
    elapsed = cpu_timed(rounds)
    while elapsed < 30_000_000 and rounds < 1 << 30:
        rounds *= 2
        elapsed = cpu_timed(rounds)
    for _ in range(2):
        elapsed = min(elapsed, cpu_timed(rounds))
    return max(1, int(rounds * target_ns / max(elapsed, 1)))


def main():
    if sys.argv[1:2] == ["calibrate"]:
        print(calibrate(int(sys.argv[2])))
        return
    mode, workload, jobs, rounds, host, port, workers = sys.argv[1:8]
    jobs, rounds, workers = int(jobs), int(rounds), int(workers)
    address = (host, int(port))
    run = MODES.get(mode)
    if run is None:
        sys.exit("unknown mode %r" % mode)
    cpu_before = cpu_ns()
    start = now()
    outputs = run(workload, jobs, rounds, address, workers)
    end = now()
    json.dump(
        {"start_ns": start, "end_ns": end, "cpu_ns": cpu_ns() - cpu_before, "jobs": outputs},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
