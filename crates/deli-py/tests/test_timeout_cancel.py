"""Timeouts and cancels stop running jobs by killing their workers."""

import os
import time

import pytest

import deli
import jobs
from conftest import is_alive, read_pid, wait_for


def test_a_job_past_the_pool_timeout_is_killed():
    with deli.ProcessPoolExecutor(1, timeout=0.5) as pool:
        start = time.monotonic()
        with pytest.raises(deli.TimedOut):
            pool.submit(jobs.nap, 60).result(timeout=60)
        assert time.monotonic() - start < 30
        assert pool.submit(jobs.identity, 5).result(timeout=60) == 5


def test_a_per_job_timeout(pool, tmp_path):
    marker = str(tmp_path / "pid")
    # Counted from when the job reaches its worker (for a fresh worker that
    # includes the interpreter's start-up), so give it room.
    slow = pool.submit_with_timeout(2.0, jobs.nap_and_mark, marker, 60)
    fine = pool.submit_with_timeout(30, jobs.nap, 0.1)
    start = time.monotonic()
    with pytest.raises(deli.TimedOut):
        slow.result(timeout=60)
    assert time.monotonic() - start < 30
    assert fine.result(timeout=60) == 0.1
    if os.path.exists(marker):
        wait_for(lambda: not is_alive(read_pid(marker)))


def test_cancel_kills_a_running_job(pool, tmp_path):
    marker = str(tmp_path / "pid")
    future = pool.submit(jobs.nap_and_mark, marker, 60)
    worker = read_pid(marker)
    assert future.cancel()
    assert future.cancelled()
    assert not future.cancel() or future.cancelled()
    wait_for(lambda: not is_alive(worker))
    assert pool.submit(jobs.identity, 1).result(timeout=60) == 1


def test_cancel_of_a_queued_job_means_it_never_runs(tmp_path):
    with deli.ProcessPoolExecutor(1) as pool:
        busy = pool.submit(jobs.nap, 0.5)
        queued = pool.submit(jobs.touch, str(tmp_path / "ran"))
        assert queued.cancel()
        assert busy.result(timeout=60) == 0.5
        assert pool.submit(jobs.identity, 2).result(timeout=60) == 2
    assert not (tmp_path / "ran").exists()


def test_cancel_of_a_finished_job_refuses(pool):
    future = pool.submit(jobs.identity, 3)
    assert future.result(timeout=60) == 3
    assert not future.cancel()
    assert future.result() == 3


def test_running_is_true_only_while_a_worker_runs_the_job(tmp_path):
    marker = str(tmp_path / "pid")
    with deli.ProcessPoolExecutor(1) as pool:
        long = pool.submit(jobs.nap_and_mark, marker, 60)
        behind = pool.submit(jobs.identity, 7)
        read_pid(marker)
        assert long.running()
        assert "state=running" in repr(long)
        assert not long.done()
        assert not behind.running()
        assert long.cancel()
        assert not long.running()
        assert behind.result(timeout=60) == 7
        assert not behind.running()
        assert behind.done()
