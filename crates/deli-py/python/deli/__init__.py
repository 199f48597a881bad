"""deli for Python: a process pool that never hangs, cancels running work
and works with asyncio, supervised by deli's Rust process driver.

>>> import deli
>>> with deli.ProcessPoolExecutor(2) as pool:
...     pool.submit(pow, 2, 10).result()
1024

What is here:

- ``ProcessPoolExecutor`` / ``Future``: a ``concurrent.futures`` executor
  whose dead workers fail only their own job (``WorkerDied``), with
  per-job ``timeout`` (``TimedOut``), ``cancel()`` of running jobs,
  ``memory_limit``, ``max_tasks_per_child``, ``initializer``, ``env``;
- ``deli.asyncio.run_in_process``: await a job from asyncio;
- ``scope()``: ``with``/``async with`` structured concurrency over jobs;
- ``deli.trace``: record every job's run on its worker's lane.

Names load lazily, so a worker (``python -m deli._worker``) imports none of
them.
"""

from ._errors import PoolShutdown, RemoteError, RemoteTraceback, TimedOut, WorkerDied

__all__ = [
    "ProcessPoolExecutor",
    "Future",
    "WorkerDied",
    "TimedOut",
    "PoolShutdown",
    "RemoteError",
    "RemoteTraceback",
    "scope",
    "Scope",
    "asyncio",
    "trace",
]

_LAZY = {
    "ProcessPoolExecutor": ("._executor", "ProcessPoolExecutor"),
    "Future": ("._executor", "Future"),
    "scope": ("._scope", "scope"),
    "Scope": ("._scope", "Scope"),
}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module, __name__), attribute)
    elif name in ("asyncio", "trace"):
        value = importlib.import_module("." + name, __name__)
    else:
        raise AttributeError("module 'deli' has no attribute %r" % name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
