"""Workers that die fail only their own job; the pool never breaks or hangs."""

import os
import signal

import pytest

import deli
import jobs
from conftest import children, read_pid


def assert_still_serving(pool):
    assert [f.result(timeout=60) for f in [pool.submit(jobs.identity, n) for n in range(4)]] == list(range(4))


def test_a_segfault_fails_its_job_with_the_signal(pool):
    error = pool.submit(jobs.segfault).exception(timeout=60)
    assert isinstance(error, deli.WorkerDied)
    assert error.signal == signal.SIGSEGV and error.exit_code is None
    assert_still_serving(pool)


def test_os_exit_fails_its_job_with_the_status(pool):
    error = pool.submit(jobs.exit_with, 3).exception(timeout=60)
    assert isinstance(error, deli.WorkerDied)
    assert error.exit_code == 3 and error.signal is None
    assert "status 3" in str(error)
    assert_still_serving(pool)


def test_sigkill_from_inside_and_outside(pool, tmp_path):
    error = pool.submit(jobs.kill_self).exception(timeout=60)
    assert isinstance(error, deli.WorkerDied) and error.signal == signal.SIGKILL
    marker = str(tmp_path / "pid")
    future = pool.submit(jobs.nap_and_mark, marker, 60)
    os.kill(read_pid(marker), signal.SIGKILL)
    error = future.exception(timeout=60)
    assert isinstance(error, deli.WorkerDied) and error.signal == signal.SIGKILL
    assert_still_serving(pool)


def test_memory_error_under_memory_limit_kills_only_its_worker():
    with deli.ProcessPoolExecutor(1, memory_limit=512 * 1024 * 1024) as pool:
        assert pool.submit(jobs.allocate, 16).result(timeout=60) == 16 * 1024 * 1024
        error = pool.submit(jobs.allocate, 2048).exception(timeout=60)
        assert isinstance(error, deli.WorkerDied)
        assert error.exit_code == 86
        assert_still_serving(pool)


def test_a_thousand_jobs_with_ten_percent_crashes_all_resolve():
    before = set(children())
    with deli.ProcessPoolExecutor(2) as pool:
        futures = [pool.submit(jobs.crash_every_tenth, n) for n in range(1000)]
        values, deaths = 0, 0
        for n, future in enumerate(futures):
            error = future.exception(timeout=300)
            if error is None:
                assert future.result() == n * 2
                values += 1
            else:
                assert isinstance(error, deli.WorkerDied) and error.exit_code == 1
                assert n % 10 == 7
                deaths += 1
        assert (values, deaths) == (900, 100)
    # No worker and no zombie is left (other tests' live pools aside).
    assert set(children()) <= before
