"""Structured concurrency over process jobs: ``deli.scope()``.

>>> import deli
>>> with deli.ProcessPoolExecutor(2) as pool:
...     with deli.scope() as s:
...         a = s.submit(pool, pow, 2, 5)
...         b = s.submit(pool, pow, 3, 2)
...     (a.result(), b.result())
(32, 9)

Every child submitted through the scope has ended when the ``with`` (or
``async with``) block exits. The first child that fails cancels the rest —
queued ones are skipped, running ones have their workers killed — and the
block raises an ``ExceptionGroup`` of every failure (the ``exceptiongroup``
backport before Python 3.11), as ``asyncio.TaskGroup`` does. An exception
raised by the block itself cancels the children too and joins the group.
Uses ``concurrent.futures`` and ``asyncio`` only.
"""

import asyncio as _asyncio
import concurrent.futures as _cf
import sys
import threading

if sys.version_info >= (3, 11):
    _ExceptionGroup = ExceptionGroup  # noqa: F821 (a builtin since 3.11)
else:
    from exceptiongroup import ExceptionGroup as _ExceptionGroup


class Scope:
    """The handle a ``deli.scope()`` block gets: submit children with
    ``s.submit(pool, fn, *args, **kwargs)``; ``s.cancel()`` cancels them
    all."""

    def __init__(self):
        self._lock = threading.Lock()
        self._children = []
        self._failures = []
        self._cancelling = False
        self._closed = False

    def submit(self, pool, fn, /, *args, **kwargs):
        """Submits ``fn(*args, **kwargs)`` to ``pool`` (any executor) as a
        child of this scope and returns its future."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this scope has ended")
            if self._cancelling:
                raise RuntimeError("this scope is cancelling its children")
        future = pool.submit(fn, *args, **kwargs)
        with self._lock:
            self._children.append(future)
        future.add_done_callback(self._child_done)
        return future

    def cancel(self):
        """Cancels every child (killing the workers of running ones)."""
        with self._lock:
            self._cancelling = True
            children = list(self._children)
        for child in children:
            child.cancel()

    def _child_done(self, future):
        if future.cancelled():
            return
        error = future.exception()
        if error is None:
            return
        with self._lock:
            self._failures.append(error)
            first = not self._cancelling
        if first:
            self.cancel()

    def _pending(self):
        with self._lock:
            return [child for child in self._children if not child.done()]

    def _close(self, body_error):
        with self._lock:
            self._closed = True
            failures = list(self._failures)
        if body_error is not None:
            failures.insert(0, body_error)
        if failures:
            raise _ExceptionGroup("unhandled errors in a deli scope", failures)


class _ScopeBlock:
    def __init__(self):
        self._scope = Scope()

    def __enter__(self):
        return self._scope

    def __exit__(self, kind, error, traceback):
        scope = self._scope
        if error is not None:
            scope.cancel()
        if error is not None and not isinstance(error, Exception):
            # KeyboardInterrupt, SystemExit: end the children, then let it go.
            self._wait_all()
            return False
        self._wait_all()
        scope._close(error)
        return False

    def _wait_all(self):
        while True:
            pending = self._scope._pending()
            if not pending:
                return
            _cf.wait(pending)

    async def __aenter__(self):
        return self._scope

    async def __aexit__(self, kind, error, traceback):
        scope = self._scope
        if error is not None:
            scope.cancel()
        cancelled = None
        while True:
            pending = scope._pending()
            if not pending:
                break
            try:
                await _asyncio.wait([_asyncio.wrap_future(child) for child in pending])
            except _asyncio.CancelledError as exc:
                # The awaiting task was cancelled: cancel the children, and
                # still let none outlive the block.
                cancelled = exc
                scope.cancel()
        if cancelled is not None:
            raise cancelled
        if error is not None and not isinstance(error, Exception):
            return False
        scope._close(error)
        return False


def scope():
    """A structured scope for process jobs: ``with deli.scope() as s:`` or
    ``async with deli.scope() as s:``; see the module doc."""
    return _ScopeBlock()
