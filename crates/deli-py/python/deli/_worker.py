"""The worker process: what ``python -m deli._worker`` runs under deli's
supervisor.

Pure Python, written from the frame protocol documented in
``crates/deli/src/process/protocol.rs`` alone: read request frames on fd 3,
run them one at a time, write one reply frame per request on fd 4, flushed
before the next request starts. Jobs:

``deli.call``
    pickle of ``(fn, args, kwargs)``, where ``fn`` is the callable or the
    bytes of its pickle (each distinct one is unpickled once per worker). The reply is tag 0 with a pickled
    envelope: ``(True, value)``, or ``(False, pickled_exception,
    traceback_text)`` when the call raised. A result that cannot be
    pickled becomes a ``PicklingError`` envelope.
``deli.init``
    pickle of ``(initializer, initargs)``, the first request of every
    worker when the pool has an initializer. Tag 0 on success, tag 1 with
    the traceback text on failure (the supervisor then discards this
    worker).

A worker imports the parent's main script (``DELI_PY_MAIN``) as
``__mp_main__`` before its first request, as multiprocessing's spawn does.
If that import fails — say the script starts a pool at import time, for
want of an ``if __name__ == "__main__":`` guard, which the executor refuses
while ``deli._calls.importing_main`` is set — the worker answers every
request with tag 1 and the traceback: the supervisor discards it and the
job fails with ``deli.WorkerDied`` naming the cause, instead of workers
starting workers without end.

Under a ``memory_limit`` a ``MemoryError`` ends the worker (exit status
``MEMORY_EXIT``): the job fails with ``deli.WorkerDied`` as it would after a
kernel OOM kill, and the pool goes on with a fresh interpreter. The worker
ignores SIGINT: on Ctrl-C the parent decides what happens to its jobs.

Uses only the standard library (it never imports the extension module).
"""

import os
import pickle
import signal
import sys
import traceback

REQUEST_FD = 3
REPLY_FD = 4

VALUE = 0
ERROR = 1
PANIC = 2

PROTOCOL_ERROR_EXIT = 70
MEMORY_EXIT = 86


def _fail_protocol(message):
    sys.stderr.write("deli worker %d: %s\n" % (os.getpid(), message))
    sys.stderr.flush()
    os._exit(PROTOCOL_ERROR_EXIT)


def _adopt_parent_path():
    """Makes the parent's modules importable: its ``sys.path`` first."""
    parent = os.environ.get("DELI_PY_PATH")
    if not parent:
        return
    entries = [entry for entry in parent.split(os.pathsep)]
    sys.path[:] = entries + [entry for entry in sys.path if entry not in entries]


def _adopt_parent_main():
    """Functions defined in the parent's ``__main__`` script unpickle here
    as they do under multiprocessing's spawn: the script runs once as
    ``__mp_main__`` (its ``if __name__ == "__main__"`` block does not)."""
    path = os.environ.get("DELI_PY_MAIN")
    if not path:
        return
    import runpy
    import types

    from deli import _calls

    module = types.ModuleType("__mp_main__")
    sys.modules["__mp_main__"] = module
    _calls.importing_main = path
    try:
        module.__dict__.update(runpy.run_path(path, run_name="__mp_main__"))
    finally:
        _calls.importing_main = None
    sys.modules["__main__"] = module


def _traceback_text(exc):
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _error_envelope(exc):
    text = _traceback_text(exc)
    try:
        pickled = pickle.dumps(exc, pickle.HIGHEST_PROTOCOL)
    except BaseException:
        # The parent re-raises the text alone.
        return ERROR, text.encode("utf-8", "replace")
    return VALUE, pickle.dumps((False, pickled, text), pickle.HIGHEST_PROTOCOL)


def _memory_death():
    sys.stderr.write(
        "deli worker %d: MemoryError under memory_limit; ending this worker\n"
        % os.getpid()
    )
    sys.stderr.flush()
    os._exit(MEMORY_EXIT)


_functions = {}


def _call(payload, memory_limited):
    try:
        fn, args, kwargs = pickle.loads(payload)
        if type(fn) is bytes:
            pickled, fn = fn, _functions.get(fn)
            if fn is None:
                fn = pickle.loads(pickled)
                if len(_functions) < 1024:
                    _functions[pickled] = fn
        value = fn(*args, **kwargs)
    except MemoryError:
        if memory_limited:
            _memory_death()
        return _error_envelope(MemoryError())
    except BaseException as exc:
        return _error_envelope(exc)
    try:
        return VALUE, pickle.dumps((True, value), pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        if memory_limited:
            _memory_death()
        return _error_envelope(MemoryError())
    except BaseException as exc:
        error = pickle.PicklingError(
            "the job's result %r could not be pickled: %s" % (type(value).__name__, exc)
        )
        return _error_envelope(error)


def _initialize(payload):
    try:
        fn, args = pickle.loads(payload)
        fn(*args)
    except BaseException as exc:
        return ERROR, _traceback_text(exc).encode("utf-8", "replace")
    return VALUE, b""


def _send(data):
    """Writes all of ``data`` to the reply pipe (one write for a small
    reply); ``False`` when the parent is gone."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(REPLY_FD, view) :]
    except OSError:
        return False
    return True


def _read_exactly(requests, count):
    data = requests.read(count)
    if data is None or len(data) != count:
        return None
    return data


def serve():
    """Serves jobs until the parent closes fd 3; never returns."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.set_inheritable(REQUEST_FD, False)
    os.set_inheritable(REPLY_FD, False)
    requests = os.fdopen(REQUEST_FD, "rb", buffering=1 << 16)
    limit = int(os.environ.get("DELI_PROCESS_FRAME_LIMIT", str(2**32 - 1)))
    memory_limited = bool(os.environ.get("DELI_PY_MEMORY_LIMIT"))
    _adopt_parent_path()
    try:
        _adopt_parent_main()
        broken = None
    except BaseException as exc:
        broken = (
            "the worker could not import the main script %s:\n%s"
            % (os.environ.get("DELI_PY_MAIN"), _traceback_text(exc))
        ).encode("utf-8", "replace")
    while True:
        head = requests.read(4)
        if not head:
            os._exit(0)
        if len(head) != 4:
            _fail_protocol("a truncated frame length")
        length = int.from_bytes(head, "little")
        if length > limit:
            _fail_protocol("a request of %d bytes is over the limit of %d" % (length, limit))
        request = _read_exactly(requests, length)
        if request is None or length < 2:
            _fail_protocol("a truncated or malformed request")
        name_length = int.from_bytes(request[:2], "little")
        if 2 + name_length > length:
            _fail_protocol("a request whose name runs past its frame")
        view = memoryview(request)
        name = bytes(view[2 : 2 + name_length]).decode("utf-8", "replace")
        payload = view[2 + name_length :]
        if broken is not None:
            tag, body = ERROR, broken
        elif name == "deli.call":
            tag, body = _call(payload, memory_limited)
        elif name == "deli.init":
            tag, body = _initialize(payload)
        else:
            tag, body = ERROR, ("no job named %r in deli's Python worker" % name).encode()
        if len(body) + 1 > limit:
            tag, body = _error_envelope(
                ValueError(
                    "the job's result takes %d bytes, over the frame limit of %d"
                    % (len(body), limit)
                )
            )
        # What the job printed goes out before its reply.
        try:
            sys.stdout.flush()
        except Exception:
            pass
        try:
            sys.stderr.flush()
        except Exception:
            pass
        head = (len(body) + 1).to_bytes(4, "little") + bytes((tag,))
        if len(body) <= 1 << 16:
            sent = _send(head + body)
        else:
            sent = _send(head) and _send(body)
        if not sent:
            # The parent is gone or stopped listening.
            os._exit(0)


if __name__ == "__main__":
    serve()
