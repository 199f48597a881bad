"""deli.scope(): no child outlives its block; the first failure cancels the rest."""

import asyncio
import sys
import time

import pytest

import deli
import jobs
import concurrent.futures as cf
import threading

from conftest import is_alive, read_pid, wait_for

if sys.version_info < (3, 11):
    from exceptiongroup import ExceptionGroup


def test_a_scope_waits_for_all_its_children(pool):
    with deli.scope() as s:
        futures = [s.submit(pool, jobs.nap, 0.2) for _ in range(4)]
    assert all(f.done() for f in futures)
    assert [f.result() for f in futures] == [0.2] * 4


def test_the_first_failure_kills_running_siblings(pool, tmp_path):
    marker = str(tmp_path / "pid")
    start = time.monotonic()
    with pytest.raises(ExceptionGroup) as caught:
        with deli.scope() as s:
            sleeper = s.submit(pool, jobs.nap_and_mark, marker, 60)
            read_pid(marker)
            s.submit(pool, jobs.fail, "first")
    assert time.monotonic() - start < 60
    assert [type(e) for e in caught.value.exceptions] == [ValueError]
    assert sleeper.cancelled()
    # SIGKILL was sent before the block ended; its driver reaps it.
    wait_for(lambda: not is_alive(read_pid(marker)))


def test_every_failure_is_in_the_group():
    # Two children that fail together (neither can be cancelled in time:
    # both are running on threads) both land in the group. Scopes take any
    # executor.
    together = threading.Barrier(2)

    def fail_together(message):
        together.wait(30)
        raise ValueError(message)

    with cf.ThreadPoolExecutor(2) as threads:
        with pytest.raises(ExceptionGroup) as caught:
            with deli.scope() as s:
                s.submit(threads, fail_together, "a")
                s.submit(threads, fail_together, "b")
    assert sorted(str(e) for e in caught.value.exceptions) == ["a", "b"]


def test_a_dead_worker_is_a_failure_too(pool):
    with pytest.raises(ExceptionGroup) as caught:
        with deli.scope() as s:
            s.submit(pool, jobs.exit_with, 5)
    assert [e.exit_code for e in caught.value.exceptions] == [5]


def test_an_error_in_the_block_cancels_the_children(pool, tmp_path):
    marker = str(tmp_path / "pid")
    with pytest.raises(ExceptionGroup) as caught:
        with deli.scope() as s:
            sleeper = s.submit(pool, jobs.nap_and_mark, marker, 60)
            read_pid(marker)
            raise KeyError("body")
    assert [type(e) for e in caught.value.exceptions] == [KeyError]
    assert sleeper.cancelled()


def test_async_scopes(pool, tmp_path):
    marker = str(tmp_path / "pid")

    async def main():
        async with deli.scope() as s:
            a = s.submit(pool, jobs.add, 1, 1)
            b = s.submit(pool, jobs.add, 2, 2)
        assert (a.result(), b.result()) == (2, 4)
        with pytest.raises(ExceptionGroup) as caught:
            async with deli.scope() as s:
                sleeper = s.submit(pool, jobs.nap_and_mark, marker, 60)
                await asyncio.get_running_loop().run_in_executor(None, read_pid, marker)
                s.submit(pool, jobs.fail, "async first")
        assert [str(e) for e in caught.value.exceptions] == ["async first"]
        assert sleeper.cancelled()

    asyncio.run(asyncio.wait_for(main(), 120))
    wait_for(lambda: not is_alive(read_pid(marker)))
