"""Tracing: every Python job's run, on its worker process's lane, recorded
by deli's Rust tracer.

>>> import deli, deli.trace
>>> deli.trace.start()
>>> with deli.ProcessPoolExecutor(1) as pool:
...     pool.submit(abs, -1).result()
1
>>> trace = deli.trace.stop()
>>> '"ph":"X"' in trace.to_chrome_json()
True

``trace.write_chrome_json(path)`` writes the Chrome trace event format that
Perfetto and ``chrome://tracing`` open: one process per worker (its real
pid), one slice per job run.
"""

from . import _deli


def start():
    """Starts recording (a no-op cost on the jobs while off)."""
    _deli.trace_start()


def stop():
    """Stops recording and returns the trace (``write_chrome_json(path)``,
    ``to_chrome_json()``, ``len()``)."""
    return _deli.trace_stop()
