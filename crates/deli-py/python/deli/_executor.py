"""``deli.ProcessPoolExecutor`` and its ``deli.Future``.

The executor pickles each call, hands the bytes to deli's Rust process
driver (``deli._deli.Pool``) and returns a ``deli.Future``, a real
``concurrent.futures.Future``. The driver's delivery thread calls
``_deliver`` (holding the GIL only for that) with a list of the jobs that
ended since its last call. Uses ``_deli``, ``_errors`` and ``_calls``.
"""

import _thread
import atexit
import collections
import concurrent.futures as _cf
import itertools
import os
import pickle
import sys
import threading
import time
import types
import weakref
from concurrent.futures import _base

from . import _deli
from . import _calls
from ._calls import ready, run_chunk
from ._errors import PoolShutdown, RemoteError, RemoteTraceback, TimedOut, WorkerDied

# How a job ended; mirrors `mod kind` in src/lib.rs.
_VALUE, _REMOTE, _PANICKED, _WORKER_DIED, _TIMED_OUT, _CANCELLED, _SHUTDOWN = range(7)

_live_pools = weakref.WeakSet()

def _pickles_by_name(fn):
    """Whether ``fn`` pickles as its module and name alone, so its bytes can
    be reused: a Python function, or a module's builtin (not a bound
    builtin method such as ``some_list.append``, which carries its object)."""
    kind = type(fn)
    if kind is types.FunctionType:
        return True
    return kind is types.BuiltinFunctionType and type(fn.__self__) is types.ModuleType


class _Condition(_thread.RLock):
    """What a ``concurrent.futures.Future`` needs of its ``_condition`` —
    ``with``, ``acquire``/``release``, ``wait(timeout)``, ``notify``,
    ``notify_all`` — with ``threading.Condition``'s semantics: a reentrant
    lock that can also be waited on, in one small object.
    ``threading.Condition`` keeps six bound methods and a deque per
    instance; with tens of thousands of pending futures the cyclic garbage
    collector took a quarter of the submitting thread's time."""

    __slots__ = ("_sleepers",)

    def wait(self, timeout=None):
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = _thread.allocate_lock()
        waiter.acquire()
        sleepers = getattr(self, "_sleepers", None)
        if sleepers is None:
            sleepers = self._sleepers = collections.deque()
        sleepers.append(waiter)
        saved = self._release_save()
        got_it = False
        try:
            if timeout is None:
                waiter.acquire()
                got_it = True
            elif timeout > 0:
                got_it = waiter.acquire(True, timeout)
            else:
                got_it = waiter.acquire(False)
            return got_it
        finally:
            self._acquire_restore(saved)
            if not got_it:
                try:
                    sleepers.remove(waiter)
                except ValueError:
                    pass

    def notify(self, n=1):
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        sleepers = getattr(self, "_sleepers", None)
        while sleepers and n > 0:
            sleepers.popleft().release()
            n -= 1

    def notify_all(self):
        sleepers = getattr(self, "_sleepers", None)
        if sleepers:
            self.notify(len(sleepers))
        elif not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")


class Future(_cf.Future):
    """A ``concurrent.futures.Future`` for a deli job.

    Everything a standard future does, and one difference: ``cancel()``
    also stops a job that is already *running*, by killing its worker
    process (the pool starts a fresh one), where the standard future
    refuses. It returns ``False`` only for a job that has finished. It is
    also awaitable: ``await future`` inside asyncio, through
    ``asyncio.wrap_future`` (no thread per wait); cancelling the awaiting
    task cancels the job. ``running()`` is ``True`` while a worker runs
    the job (the Rust driver marks it when it hands the job to a worker;
    the future's state stays pending until the job ends, which is what
    lets ``cancel()`` stop it).

    >>> import deli, time
    >>> with deli.ProcessPoolExecutor(1) as pool:
    ...     future = pool.submit(time.sleep, 60)
    ...     time.sleep(0.5)
    ...     future.cancel(), future.cancelled()
    (True, True)
    """

    def __init__(self):
        # concurrent.futures.Future.__init__ (3.9 to 3.13), with a lighter
        # condition.
        self._condition = _Condition()
        self._state = _base.PENDING
        self._result = None
        self._exception = None
        self._waiters = []
        self._done_callbacks = []
        self._deli_pool = None
        self._deli_job = None

    def cancel(self):
        with self._condition:
            if self._state == _base.FINISHED:
                return False
            if self._state in (_base.CANCELLED, _base.CANCELLED_AND_NOTIFIED):
                return True
            pool, job = self._deli_pool, self._deli_job
        if pool is not None and job is not None:
            # Skips the job if it is queued, kills its worker if it runs.
            pool.cancel(job)
        return super().cancel()

    def running(self):
        with self._condition:
            if self._state == _base.RUNNING:
                return True
            if self._state != _base.PENDING:
                return False
            pool, job = self._deli_pool, self._deli_job
        return pool is not None and job is not None and pool.is_running(job)

    def __repr__(self):
        if self._state == _base.PENDING and self.running():
            return "<%s at %#x state=running>" % (self.__class__.__name__, id(self))
        return super().__repr__()

    def __await__(self):
        import asyncio

        return asyncio.wrap_future(self).__await__()


def _remote_exception(pickled, text):
    try:
        exc = pickle.loads(pickled)
    except BaseException:
        return RemoteError(text)
    exc.__cause__ = RemoteTraceback(text)
    return exc


def _outcome(kind, body, signal, exit_code):
    """``(True, value)`` or ``(False, exception)`` for a finished job."""
    if kind == _VALUE:
        try:
            envelope = pickle.loads(body)
        except BaseException as exc:
            error = pickle.UnpicklingError("the job's result could not be unpickled: %s" % exc)
            return False, error
        if envelope[0]:
            return True, envelope[1]
        return False, _remote_exception(envelope[1], envelope[2])
    text = body.decode("utf-8", "replace")
    if kind == _REMOTE or kind == _PANICKED:
        return False, RemoteError(text)
    if kind == _WORKER_DIED:
        return False, WorkerDied(text, signal=signal, exit_code=exit_code)
    if kind == _TIMED_OUT:
        return False, TimedOut("the job ran past its timeout; its worker was killed")
    return False, PoolShutdown("the pool was torn down before the job ended")


def _deliver(outcomes):
    """Called by the Rust delivery thread, with the GIL, with a list of
    ``(future, kind, body, signal, exit_code)`` of jobs that ended."""
    for outcome in outcomes:
        try:
            _deliver_one(*outcome)
        except BaseException:
            # One broken outcome must not keep the others from their futures.
            import traceback

            traceback.print_exc()


def _deliver_one(future, kind, body, signal, exit_code):
    future._deli_pool = None
    if kind != _CANCELLED and future._state == _base.PENDING:
        ok, value = _outcome(kind, body, signal, exit_code)
        try:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
            return
        except _base.InvalidStateError:
            pass  # cancelled meanwhile: below
    with future._condition:
        state = future._state
        if state in (_base.FINISHED, _base.CANCELLED_AND_NOTIFIED):
            return
        if state == _base.PENDING:
            _cf.Future.cancel(future)
        # Moves it to CANCELLED_AND_NOTIFIED: wait() and as_completed()
        # count it only then.
        future.set_running_or_notify_cancel()


def _main_script():
    """The parent's ``__main__`` file when it is a plain script, so that
    functions defined there unpickle in workers (as under spawn)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        return None
    path = getattr(main, "__file__", None)
    if path and path.endswith(".py") and os.path.isfile(path):
        return os.path.abspath(path)
    return None


class ProcessPoolExecutor(_cf.Executor):
    """A ``concurrent.futures.Executor`` whose workers are Python
    interpreters supervised by deli's Rust process driver.

    Drop-in for ``concurrent.futures.ProcessPoolExecutor`` (``submit``,
    ``map`` with ``timeout`` and ``chunksize``, ``shutdown(wait,
    cancel_futures)``, the context manager; callables and arguments are
    pickled, so they must be importable functions), plus:

    - a worker that dies — segfault, ``os._exit``, SIGKILL, the OOM killer,
      a ``MemoryError`` under ``memory_limit`` — fails only its own future
      with ``deli.WorkerDied`` (``.signal``, ``.exit_code``); the pool
      starts a new worker and never becomes broken;
    - ``timeout``: seconds each job may run (``submit_with_timeout`` sets
      it per job); past it the worker is killed and the future raises
      ``deli.TimedOut``;
    - ``future.cancel()`` stops a running job by killing its worker;
    - ``memory_limit``: bytes of address space per worker (``RLIMIT_AS``);
    - ``max_tasks_per_child``, ``initializer``/``initargs`` as standard (an
      initializer that raises discards that worker and fails one waiting
      job with ``WorkerDied``, instead of breaking the pool);
    - ``env``: extra environment variables for the workers;
    - ``python``: the interpreter to run (default ``sys.executable``).

    ``mp_context`` is accepted for compatibility and ignored: workers are
    always fresh interpreters (never forks). Functions from a ``__main__``
    script work, as under the ``spawn`` start method.

    >>> import deli
    >>> with deli.ProcessPoolExecutor(2) as pool:
    ...     list(pool.map(abs, [-1, -2, 3]))
    [1, 2, 3]
    """

    def __init__(
        self,
        max_workers=None,
        mp_context=None,
        initializer=None,
        initargs=(),
        *,
        max_tasks_per_child=None,
        timeout=None,
        memory_limit=None,
        env=None,
        python=None,
    ):
        if max_workers is None:
            max_workers = os.cpu_count() or 1
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        if max_tasks_per_child is not None:
            if not isinstance(max_tasks_per_child, int):
                raise TypeError("max_tasks_per_child must be an integer")
            if max_tasks_per_child <= 0:
                raise ValueError("max_tasks_per_child must be >= 1")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        if memory_limit is not None and memory_limit <= 0:
            raise ValueError("memory_limit must be a positive number of bytes")
        if _calls.importing_main is not None:
            raise RuntimeError(
                "a deli worker process was asked to start a process pool while it "
                "imported the main script %r. Workers import the main script (as "
                "'__mp_main__', like multiprocessing's spawn) to find the functions "
                "it defines, so a script that starts a pool when imported would start "
                "workers without end. Start pools only under the idiom:\n\n"
                "    if __name__ == '__main__':\n"
                "        ..." % _calls.importing_main
            )
        # Always one: a worker answers it once started, so that job
        # timeouts count the job's time, not the interpreter's start-up.
        init_payload = pickle.dumps(
            (initializer or ready, tuple(initargs)), pickle.HIGHEST_PROTOCOL
        )
        child_env = {str(key): str(value) for key, value in (env or {}).items()}
        child_env["DELI_PY_PATH"] = os.pathsep.join(path for path in sys.path if path)
        main = _main_script()
        if main is not None:
            child_env["DELI_PY_MAIN"] = main
        if memory_limit is not None:
            child_env["DELI_PY_MEMORY_LIMIT"] = str(int(memory_limit))
        self._max_workers = max_workers
        self._pool = _deli.Pool(
            python or sys.executable,
            ["-m", "deli._worker"],
            max_workers,
            list(child_env.items()),
            None if memory_limit is None else int(memory_limit),
            max_tasks_per_child,
            None if timeout is None else float(timeout),
            init_payload,
            _deliver,
        )
        self._owner = os.getpid()
        # Plain functions pickle as a reference to their name: each one's
        # bytes are made once (a job's payload carries them as bytes, and
        # the worker unpickles each distinct one once).
        self._pickled_functions = {}
        self._shutdown_lock = threading.Lock()
        self._shutdown_started = False
        self._shutdown_thread = None
        _live_pools.add(self)

    def submit(self, fn, /, *args, **kwargs):
        """Schedules ``fn(*args, **kwargs)`` on a worker; returns a
        ``deli.Future``. A call that cannot be pickled gives a future that
        already holds the ``pickle.PicklingError``.

        >>> import deli
        >>> with deli.ProcessPoolExecutor(1) as pool:
        ...     pool.submit(divmod, 7, 2).result()
        (3, 1)
        """
        return self._submit(None, fn, args, kwargs)

    def submit_with_timeout(self, timeout, fn, /, *args, **kwargs):
        """``submit`` with this job's own timeout in seconds (counted from
        when it starts running); past it the worker is killed and the future
        raises ``deli.TimedOut``.

        >>> import deli, time
        >>> with deli.ProcessPoolExecutor(1) as pool:
        ...     future = pool.submit_with_timeout(0.2, time.sleep, 60)
        ...     type(future.exception()).__name__
        'TimedOut'
        """
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive")
        return self._submit(timeout, fn, args, kwargs)

    def _submit(self, timeout, fn, args, kwargs):
        with self._shutdown_lock:
            if self._shutdown_started:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if os.getpid() != self._owner:
                raise RuntimeError(
                    "a deli pool cannot be used in a forked copy of the process that "
                    "made it (its workers and threads stayed with the original)"
                )
            future = Future()
            try:
                by_name = _pickles_by_name(fn)
                target = self._pickled_functions.get(fn) if by_name else None
                if target is None:
                    target = pickle.dumps(fn, pickle.HIGHEST_PROTOCOL)
                    if by_name and len(self._pickled_functions) < 1024:
                        self._pickled_functions[fn] = target
                payload = pickle.dumps((target, args, kwargs), pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                error = pickle.PicklingError(
                    "cannot send %r or its arguments to a worker process: %s "
                    "(jobs travel pickled: use a module-level function)" % (fn, exc)
                )
                error.__cause__ = exc
                future.set_exception(error)
                return future
            future._deli_pool = self._pool
            future._deli_job = self._pool.submit(
                "deli.call", payload, future, None if timeout is None else float(timeout)
            )
            return future


    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """Like ``concurrent.futures.ProcessPoolExecutor.map``: results in
        input order; ``timeout`` bounds the whole iteration; ``chunksize``
        sends that many calls per job.

        >>> import deli
        >>> with deli.ProcessPoolExecutor(2) as pool:
        ...     list(pool.map(pow, range(5), [2] * 5, chunksize=2))
        [0, 1, 4, 9, 16]
        """
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        end_time = None if timeout is None else timeout + time.monotonic()
        calls = zip(*iterables)
        if chunksize == 1:
            futures = [self.submit(fn, *args) for args in calls]
        else:
            futures = []
            while True:
                chunk = list(itertools.islice(calls, chunksize))
                if not chunk:
                    break
                futures.append(self.submit(run_chunk, fn, chunk))

        def results():
            try:
                futures.reverse()
                while futures:
                    future = futures.pop()
                    if end_time is None:
                        value = future.result()
                    else:
                        value = future.result(end_time - time.monotonic())
                    if chunksize == 1:
                        yield value
                    else:
                        yield from value
            finally:
                for future in futures:
                    future.cancel()

        return results()

    def shutdown(self, wait=True, *, cancel_futures=False):
        """As the standard one: no new jobs; ``cancel_futures`` cancels the
        jobs not yet started; ``wait`` blocks until every job has ended and
        the workers are gone (otherwise that happens in the background).

        >>> import deli
        >>> pool = deli.ProcessPoolExecutor(1)
        >>> future = pool.submit(abs, -3)
        >>> pool.shutdown()
        >>> future.result()
        3
        """
        if os.getpid() != self._owner:
            # A forked copy: the workers and threads belong to the original.
            self._shutdown_started = True
            return
        with self._shutdown_lock:
            first = not self._shutdown_started
            self._shutdown_started = True
            if first:
                if cancel_futures:
                    self._pool.cancel_queued()
                self._shutdown_thread = threading.Thread(
                    target=self._pool.shutdown,
                    args=(True,),
                    name="deli-pool-shutdown",
                    daemon=True,
                )
                self._shutdown_thread.start()
            thread = self._shutdown_thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    @property
    def max_workers(self):
        """How many worker processes the pool runs."""
        return self._max_workers


def _shut_down_at_exit():
    for pool in list(_live_pools):
        pool.shutdown(wait=True)


def _forget_pools_after_fork():
    # A forked child (say, a fork-based multiprocessing worker) inherits the
    # pools' objects but not their threads or workers: it must not wait for
    # them at exit.
    _live_pools.clear()


atexit.register(_shut_down_at_exit)
os.register_at_fork(after_in_child=_forget_pools_after_fork)
