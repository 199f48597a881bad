"""deli jobs from asyncio, without a thread per wait.

>>> import asyncio, deli, deli.asyncio
>>> async def main():
...     with deli.ProcessPoolExecutor(1) as pool:
...         return await deli.asyncio.run_in_process(abs, -5, pool=pool)
>>> asyncio.run(main())
5

A ``deli.Future`` is awaitable too (``await pool.submit(f, x)``). Both go
through ``asyncio.wrap_future``, which hands the result to the event loop
with ``call_soon_threadsafe``. Cancelling the awaiting task cancels the
job, and kills its worker if the job is running.
"""

import asyncio as _asyncio
import threading

_default_pool = None
_default_lock = threading.Lock()


def default_pool():
    """The shared pool ``run_in_process`` uses when given none: one worker
    per CPU, started on first use, shut down at exit."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            from ._executor import ProcessPoolExecutor

            _default_pool = ProcessPoolExecutor()
        return _default_pool


async def run_in_process(fn, /, *args, pool=None, **kwargs):
    """Runs ``fn(*args, **kwargs)`` in a worker process and returns its
    value (or raises its exception); ``pool`` defaults to
    ``default_pool()``."""
    pool = pool if pool is not None else default_pool()
    return await _asyncio.wrap_future(pool.submit(fn, *args, **kwargs))
