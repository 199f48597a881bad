"""Helpers pickled by reference into workers (so keep this module light),
and the worker's bootstrapping flag."""

#: The parent's main script while a worker imports it (as ``__mp_main__``);
#: ``None`` otherwise. A pool started then raises ``RuntimeError`` instead
#: of starting workers that would import the script again, without end.
importing_main = None


def run_chunk(fn, chunk):
    """Runs ``fn(*args)`` for every ``args`` of ``chunk``: one job of a
    ``map`` with ``chunksize > 1``.

    >>> run_chunk(pow, [(2, 3), (3, 2)])
    [8, 9]
    """
    return [fn(*args) for args in chunk]


def ready(*args):
    """The initializer of a pool that has none: the worker answers it once
    it has started, so job timeouts never count a worker's start-up.

    >>> ready()
    """
