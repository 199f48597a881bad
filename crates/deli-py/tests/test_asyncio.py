"""Awaiting jobs from asyncio, and cancelling them from there."""

import asyncio

import pytest

import deli
import deli.asyncio
import jobs
from conftest import is_alive, read_pid, wait_for


def test_futures_are_awaitable(pool):
    async def main():
        first = await pool.submit(jobs.add, 1, 2)
        second = await deli.asyncio.run_in_process(jobs.add, 3, 4, pool=pool)
        third = await deli.asyncio.run_in_process(jobs.identity, "default pool")
        return first, second, third

    assert asyncio.run(asyncio.wait_for(main(), 120)) == (3, 7, "default pool")


def test_errors_reach_the_awaiting_task(pool):
    async def main():
        with pytest.raises(ValueError, match="async"):
            await pool.submit(jobs.fail, "async")
        with pytest.raises(deli.WorkerDied):
            await deli.asyncio.run_in_process(jobs.exit_with, 4, pool=pool)

    asyncio.run(asyncio.wait_for(main(), 120))


def test_cancelling_the_awaiting_task_kills_the_running_job(pool, tmp_path):
    marker = str(tmp_path / "pid")

    async def main():
        task = asyncio.ensure_future(deli.asyncio.run_in_process(jobs.nap_and_mark, marker, 60, pool=pool))
        loop = asyncio.get_running_loop()
        worker = await loop.run_in_executor(None, read_pid, marker)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return worker

    worker = asyncio.run(asyncio.wait_for(main(), 120))
    wait_for(lambda: not is_alive(worker))
    assert pool.submit(jobs.identity, 1).result(timeout=60) == 1


def test_a_wait_for_timeout_cancels_the_job(pool, tmp_path):
    marker = str(tmp_path / "pid")

    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(pool.submit(jobs.nap_and_mark, marker, 60), 1.0)

    asyncio.run(main())
    wait_for(lambda: not is_alive(read_pid(marker)))
