"""The concurrent.futures contract on deli.ProcessPoolExecutor."""

import asyncio
import concurrent.futures as cf
import os
import pickle
import time

import pytest

import deli
import jobs
from conftest import children, wait_for


def test_is_a_real_executor_with_real_futures(pool):
    assert isinstance(pool, cf.Executor)
    future = pool.submit(jobs.add, 2, b=3)
    assert isinstance(future, cf.Future)
    assert future.result(timeout=60) == 5
    assert future.done() and not future.cancelled()


def test_jobs_run_in_other_processes(pool):
    pids = {future.result(timeout=60) for future in [pool.submit(jobs.pid) for _ in range(20)]}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_exceptions_keep_their_type_and_remote_traceback(pool):
    future = pool.submit(jobs.fail, "no good")
    with pytest.raises(ValueError, match="no good") as caught:
        future.result(timeout=60)
    cause = caught.value.__cause__
    assert isinstance(cause, deli.RemoteTraceback)
    assert "in fail" in str(cause) and "raise ValueError(message)" in str(cause)
    with pytest.raises(jobs.Custom):
        pool.submit(jobs.fail_custom, 7).result(timeout=60)


def test_map_keeps_order_with_any_chunksize(pool):
    assert list(pool.map(jobs.add, range(10), range(10))) == [2 * n for n in range(10)]
    assert list(pool.map(jobs.identity, range(25), chunksize=4)) == list(range(25))
    with pytest.raises(ValueError):
        pool.map(jobs.identity, [1], chunksize=0)


def test_map_timeout_covers_the_whole_iteration(pool):
    results = pool.map(jobs.nap, [0.0, 30.0], timeout=1.0)
    assert next(results) == 0.0
    with pytest.raises(TimeoutError):
        next(results)


def test_as_completed_and_wait(pool):
    futures = [pool.submit(jobs.identity, n) for n in range(10)]
    assert sorted(f.result() for f in cf.as_completed(futures, timeout=60)) == list(range(10))
    slow = pool.submit(jobs.nap, 30)
    quick = pool.submit(jobs.identity, 1)
    done, not_done = cf.wait([slow, quick], timeout=60, return_when=cf.FIRST_COMPLETED)
    assert quick in done and slow in not_done
    assert slow.cancel()
    done, not_done = cf.wait([slow, quick], timeout=60)
    assert not not_done


def test_loop_run_in_executor(pool):
    async def main():
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*(loop.run_in_executor(pool, jobs.add, n, 1) for n in range(5)))

    assert asyncio.run(main()) == [1, 2, 3, 4, 5]


def test_an_unpicklable_call_fails_only_its_future(pool):
    bad = pool.submit(lambda: 1)
    good = pool.submit(jobs.identity, 1)
    with pytest.raises(pickle.PicklingError, match="module-level function"):
        bad.result(timeout=60)
    assert good.result(timeout=60) == 1
    with pytest.raises(pickle.PicklingError, match="could not be pickled"):
        pool.submit(jobs.unpicklable_result).result(timeout=60)


def test_a_worker_that_prints_does_not_corrupt_the_protocol(pool):
    assert [f.result(timeout=60) for f in [pool.submit(jobs.chatty, n) for n in range(20)]] == list(range(20))


def test_initializer_env_and_max_tasks_per_child():
    with deli.ProcessPoolExecutor(
        1,
        initializer=jobs.set_mark,
        initargs=("ready",),
        max_tasks_per_child=2,
        env={"DELI_TEST_SETTING": "42"},
    ) as pool:
        marks = [pool.submit(jobs.read_mark).result(timeout=60) for _ in range(6)]
        assert {mark for mark, _ in marks} == {"ready"}
        assert len({pid for _, pid in marks}) == 3
        assert pool.submit(jobs.env, "DELI_TEST_SETTING").result(timeout=60) == "42"


def test_a_failing_initializer_fails_jobs_without_breaking_anything():
    with deli.ProcessPoolExecutor(1, initializer=jobs.fail, initargs=("setup",)) as pool:
        with pytest.raises(deli.WorkerDied, match="initializer failed"):
            pool.submit(jobs.identity, 1).result(timeout=60)


def test_shutdown_waits_then_refuses_new_work(tmp_path):
    before = set(children())
    pool = deli.ProcessPoolExecutor(2)
    futures = [pool.submit(jobs.nap, 0.05) for _ in range(6)]
    pool.shutdown(wait=True)
    assert all(f.done() and f.result() == 0.05 for f in futures)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(jobs.identity, 1)
    assert set(children()) <= before


def test_shutdown_cancel_futures_skips_queued_jobs(tmp_path):
    pool = deli.ProcessPoolExecutor(1)
    running = pool.submit(jobs.nap, 1.0)
    queued = [pool.submit(jobs.touch, str(tmp_path / ("q%d" % n))) for n in range(5)]
    time.sleep(0.3)
    pool.shutdown(wait=True, cancel_futures=True)
    assert running.result() == 1.0
    assert all(f.cancelled() for f in queued)
    assert list(tmp_path.iterdir()) == []


def test_shutdown_without_wait_returns_and_finishes_in_the_background():
    before = set(children())
    pool = deli.ProcessPoolExecutor(1)
    future = pool.submit(jobs.nap, 0.5)
    start = time.monotonic()
    pool.shutdown(wait=False)
    assert time.monotonic() - start < 0.5 or future.done()
    assert future.result(timeout=60) == 0.5
    wait_for(lambda: set(children()) <= before)


def test_settings_are_checked():
    with pytest.raises(ValueError):
        deli.ProcessPoolExecutor(0)
    with pytest.raises(TypeError):
        deli.ProcessPoolExecutor(1, initializer=3)
    with pytest.raises(ValueError):
        deli.ProcessPoolExecutor(1, max_tasks_per_child=0)


def test_calls_of_every_kind_of_callable_reach_the_worker(pool):
    # Plain functions travel as reused pickled names; bound methods,
    # partials and builtins bound to an object carry their state each time.
    import functools

    numbers = [1, 2]
    assert pool.submit(numbers.__len__).result(timeout=60) == 2
    numbers.append(3)
    assert pool.submit(numbers.__len__).result(timeout=60) == 3
    add_ten = functools.partial(jobs.add, 10)
    assert pool.submit(add_ten, 5).result(timeout=60) == 15
    assert pool.submit(abs, -4).result(timeout=60) == 4
    assert [pool.submit(jobs.add, n, 1).result(timeout=60) for n in range(3)] == [1, 2, 3]
    with pytest.raises(TypeError):
        pool.submit(b"not callable").result(timeout=60)
